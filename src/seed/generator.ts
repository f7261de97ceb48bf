/**
 * Deterministic demo data for `kassa seed [--orders N] [--seed S]` (SPEC §7).
 *
 * Everything comes from `seed` alone: a seeded PRNG (sfc32), a fixed base time
 * (2026-01-01 00:00:00 UTC) and fixed lists of names and titles; never
 * Math.random or the clock. The catalogue (partners, events, sets) has a fixed
 * size; orders are produced one at a time from their own PRNG stream, so the
 * first K orders of `orders: N` are the same for every N ≥ K, and nothing is
 * held in memory per order beyond the object being yielded.
 *
 * Every item is valid for src/import/validate.ts (closed schemas, money rules).
 */
import type { ImportItem } from '../import/validate.js';
import type { Customer, Event, Order, Ticket } from '../orders/schemas.js';
import { formatMoney } from '../shared/money.js';
import { formatTimestamp } from '../shared/time.js';

export interface SeedOptions {
  orders: number;
  seed: number;
  /**
   * How many of the demo organisers own events (default all). With 1, every
   * event and so every order belongs to the first organiser: one tenant that
   * sees the whole data set (the export benchmark's million orders).
   */
  organisers?: number;
}

export interface DemoPartner {
  id: string;
  name: string;
  kind: 'org' | 'vendor';
}

// ---------------------------------------------------------------------------
// Time

/** Fixed "now" of the demo world: 2026-01-01 00:00:00 UTC. */
const BASE_TIME = Date.UTC(2026, 0, 1) / 1000;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Orders are spread over about two years before BASE_TIME. */
const HISTORY_START = BASE_TIME - 730 * DAY;
/** SPEC §5: the reservation deadline is created + 15 min by default. */
const RESERVATION = 15 * MINUTE;

// ---------------------------------------------------------------------------
// PRNG: sfc32 (period ≥ 2^32, in practice ~2^127), seeded through splitmix32.

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  /** `stream` separates independent sequences drawn from the same seed. */
  constructor(seed: number, stream: number) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
    this.a = splitmix32(lo ^ splitmix32(stream));
    this.b = splitmix32(hi ^ splitmix32(this.a));
    this.c = splitmix32(this.b ^ 0x5bd1e995);
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Digits as a string, leading zeros kept. */
  digits(n: number): string {
    let s = '';
    while (s.length < n) {
      const chunk = String(this.int(1_000_000)).padStart(6, '0');
      s += chunk.slice(0, n - s.length);
    }
    return s;
  }
}

/** Weighted choice over a fixed list (cumulative weights, linear scan: lists are short). */
class Weighted<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(
    private readonly items: readonly T[],
    weights: readonly number[],
  ) {
    let sum = 0;
    for (const w of weights) {
      sum += w;
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  pick(rng: Rng): T {
    const x = rng.next() * this.total;
    const c = this.cumulative;
    for (let i = 0; i < c.length; i++) if (x < (c[i] as number)) return this.items[i] as T;
    return this.items[this.items.length - 1] as T;
  }
}

function weighted<T>(pairs: readonly (readonly [T, number])[]): Weighted<T> {
  return new Weighted(
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
  );
}

// ---------------------------------------------------------------------------
// Ids: ObjectId style. 8 hex of creation seconds, 6 hex from the PRNG, then a
// 10-hex counter shared by every object of one run: unique by construction.

function hex(n: number, width: number): string {
  const s = n.toString(16);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

class Ids {
  private counter: number;

  constructor(private readonly rng: Rng) {
    // start somewhere in the first 2^36 so that 2^40 is never reached
    this.counter = rng.int(0x100_0000) * 0x1000;
  }

  next(seconds: number): string {
    return hex(seconds >>> 0, 8) + hex(this.rng.int(0x100_0000), 6) + hex(this.counter++, 10);
  }
}

// ---------------------------------------------------------------------------
// Fixed vocabulary

/** Organisers, largest first; the first one gets ~45% of all orders. */
const ORGS: readonly (readonly [name: string, orderShare: number, events: number])[] = [
  ['Концертное агентство «Мир»', 0.45, 14],
  ['Blue Note Events', 0.2, 10],
  ['ООО "Театральный дом"', 0.15, 9],
  ['Stand-Up Club 🎤', 0.12, 9],
  ['Фестивальная компания «Дикая мята»', 0.08, 8],
];
const VENDORS: readonly (readonly [name: string, share: number])[] = [
  ['Агентство «Билет-Экспресс»', 0.35],
  ['TicketHub Ltd.', 0.25],
  ['Городская касса №1', 0.2],
  ['Partner Network "Afisha"', 0.12],
  ['Ticket & Go 🎟️', 0.08],
];

const TITLES: readonly string[] = [
  'Сплин. Большой концерт',
  '«Щелкунчик» — балет в двух действиях',
  'Би-2: «Горизонт событий»',
  'Стендап-шоу «Без цензуры»',
  'Джаз на крыше, часть 2',
  'Фестиваль «Дикая мята»',
  'Органные вечера в соборе',
  'Лекция «Как устроена Вселенная»',
  'Спектакль «Мастер и Маргарита»',
  'Кино под открытым небом: «Брат»',
  'Ночь музеев, Москва',
  'Вечер романсов, 18+',
  'Мюзикл «Анна Каренина»',
  'Хор Турецкого',
  'Чайковский. Времена года',
  'Выставка «Айвазовский и море»',
  'Ёлка в Кремле',
  'КВН: Высшая лига, финал',
  'Мастер-класс по гончарному делу',
  'Квартирник у Гарика',
  'Сказка «Морозко» для детей 6+',
  'Открытый микрофон, выпуск №42',
  'Рок-н-ролл марафон "Back in USSR"',
  'Фестиваль уличной еды "Вкусно"',
  '-273 °C: ледовое шоу',
  'Blue Note Jazz Night',
  'Coldplay Tribute: "Music of the Spheres"',
  'Swan Lake, Royal Ballet',
  'Stand-Up Comedy Marathon',
  'Hans Zimmer Live, Orchestra & Choir',
  'The Nutcracker (Family Matinee)',
  'Electronic Beats Festival 2025',
  'An Evening with "Queen" Songs',
  'Open Air Cinema: Casablanca',
  'Tech Talks: AI, Ethics, and You',
  'Shakespeare in the Park — Hamlet',
  'Indie Rock Showcase',
  'New Year Gala Concert',
  'Comedy Cellar: Late Show',
  'Broadway Hits, Vol. 3',
  'Folk & Ale Weekend',
  'Piano Recital: Chopin, Liszt',
  "Kids' Science Show",
  'Techno Warehouse Party 🎧',
  'Poetry Slam Finals',
  'Classic Car Expo',
  'Blues Brothers Revue',
  'Wine Tasting & Live Music',
  'Photo Exhibition "Moscow 1990"',
  'Startup Pitch Night',
];

const DESC_RU: readonly string[] = [
  'Начало в 19:00. Возрастное ограничение 12+.',
  'Вход за час до начала, гардероб работает.',
  'Электронный билет на телефоне, распечатывать не нужно.',
  'Сольная программа, хиты и новые песни.\nДлительность — около двух часов.',
  'Дети до 6 лет — бесплатно, без отдельного места.',
  '',
];
const DESC_EN: readonly string[] = [
  'Doors open at 7 pm. Ages 18+.',
  'E-tickets only; please bring ID.',
  'A night of classics, new songs and a few surprises.\nRunning time: about 2 hours.',
  'Family friendly, wheelchair accessible venue.',
  'Food & drinks available on site.',
  '',
];

const ZONES_RU = weighted([
  ['Europe/Moscow', 6],
  ['Asia/Yekaterinburg', 2],
  ['Europe/Samara', 1],
  ['Asia/Novosibirsk', 1],
  ['Europe/Kaliningrad', 1],
  ['Asia/Vladivostok', 1],
] as const);
const ZONES_EN = weighted([
  ['Europe/London', 4],
  ['Europe/Berlin', 2],
  ['America/New_York', 2],
  ['Asia/Dubai', 1],
  ['Europe/Moscow', 1],
] as const);

const SECTORS_RU: readonly string[] = ['Партер', 'Амфитеатр', 'Балкон', 'Ложа А'];
const SECTORS_EN: readonly string[] = ['Stalls', 'Dress Circle', 'Balcony', 'Box A'];
/** Price ratios of the categories of one event, cheapest first. */
const SET_RATIOS: readonly number[] = [1, 1.6, 2.5, 4];

const CYRILLIC = /[А-Яа-яЁё]/;

// Customers
type Name = readonly [native: string, latin: string];
const RU_MALE: readonly Name[] = [
  ['Александр', 'aleksandr'], ['Дмитрий', 'dmitry'], ['Максим', 'maksim'], ['Сергей', 'sergey'],
  ['Андрей', 'andrey'], ['Алексей', 'aleksey'], ['Иван', 'ivan'], ['Михаил', 'mikhail'],
  ['Никита', 'nikita'], ['Егор', 'egor'], ['Артём', 'artem'], ['Павел', 'pavel'],
];
const RU_FEMALE: readonly Name[] = [
  ['Анна', 'anna'], ['Мария', 'maria'], ['Елена', 'elena'], ['Ольга', 'olga'],
  ['Наталья', 'natalya'], ['Екатерина', 'ekaterina'], ['Татьяна', 'tatyana'], ['Ксения', 'ksenia'],
  ['Дарья', 'darya'], ['Алёна', 'alena'], ['Юлия', 'yulia'], ['Софья', 'sofya'],
];
/** Masculine forms; the feminine adds «а» / "a". */
const RU_SURNAMES: readonly Name[] = [
  ['Иванов', 'ivanov'], ['Смирнов', 'smirnov'], ['Кузнецов', 'kuznetsov'], ['Попов', 'popov'],
  ['Васильев', 'vasiliev'], ['Петров', 'petrov'], ['Соколов', 'sokolov'], ['Михайлов', 'mikhailov'],
  ['Новиков', 'novikov'], ['Фёдоров', 'fedorov'], ['Морозов', 'morozov'], ['Волков', 'volkov'],
  ['Алексеев', 'alekseev'], ['Лебедев', 'lebedev'], ['Семёнов', 'semenov'], ['Егоров', 'egorov'],
  ['Павлов', 'pavlov'], ['Козлов', 'kozlov'], ['Степанов', 'stepanov'], ['Николаев', 'nikolaev'],
  ['Орлов', 'orlov'], ['Андреев', 'andreev'], ['Макаров', 'makarov'], ['Никитин', 'nikitin'],
];
const EN_FIRST: readonly Name[] = [
  'Oliver', 'Emma', 'James', 'Olivia', 'William', 'Sophia', 'Jack', 'Amelia', 'Harry', 'Isla',
  'George', 'Ava', 'Noah', 'Mia', 'Charlie', 'Grace', 'Thomas', 'Lily', 'Daniel', 'Chloe',
].map((n) => [n, n.toLowerCase()] as const);
const EN_LAST: readonly Name[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Taylor', 'Davies', 'Evans', 'Wilson', 'Thomas',
  'Roberts', 'Walker', 'Wright', 'Robinson', 'Thompson', 'White', 'Hughes', 'Edwards', 'Green', "O'Brien",
].map((n) => [n, n.toLowerCase().replace(/[^a-z]/g, '')] as const);
const RU_DOMAINS: readonly string[] = ['mail.ru', 'yandex.ru', 'gmail.com', 'inbox.ru', 'bk.ru', 'list.ru'];
const EN_DOMAINS: readonly string[] = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'icloud.com', 'proton.me'];

type Status = Order['status'];
type Origin = Order['origin'];
type TicketStatus = Ticket['status'];

const STATUS = weighted<Status>([
  ['done', 60],
  ['expired', 17],
  ['cancelled', 13],
  ['in_progress', 6],
  ['executed', 4],
]);
const ORIGIN_DIRECT = weighted<Origin>([
  ['widget', 40],
  ['customer_panel', 15],
  ['control_panel', 12],
  ['salespoint', 12],
  ['showroom', 8],
  ['api', 8],
  ['external_widget', 5],
]);
const ORIGIN_VENDOR = weighted<Origin>([
  ['api', 35],
  ['external_widget', 30],
  ['widget', 20],
  ['salespoint', 10],
  ['showroom', 5],
]);
/** Tickets per order for live and paid orders (1..6). */
const TICKETS_PAID = new Weighted([1, 2, 3, 4, 5, 6], [35, 30, 12, 13, 5, 5]);
/** Service fee in percent of the nominal, by origin (box offices charge none). */
const FEE_PERCENT: Readonly<Record<Origin, number>> = {
  api: 8,
  widget: 6,
  control_panel: 0,
  salespoint: 0,
  showroom: 0,
  external_widget: 8,
  customer_panel: 6,
};

// ---------------------------------------------------------------------------
// Catalogue: partners, events and their sets. Fixed size, independent of `orders`.

interface CatalogSet {
  id: string;
  /** kopecks */
  price: number;
  sector: string;
}

interface CatalogEvent {
  event: Event;
  sets: CatalogSet[];
  /** cheaper categories sell more */
  setPick: Weighted<CatalogSet>;
  seated: boolean;
  rowsAsNumbers: boolean;
  rows: number;
  seatsPerRow: number;
  promocodes: string[];
  /** the window orders are created in, seconds */
  salesFrom: number;
  salesSpan: number;
}

interface Catalog {
  partners: DemoPartner[];
  vendors: Weighted<DemoPartner>;
  orgs: Weighted<Weighted<CatalogEvent>>;
  events: CatalogEvent[];
  ids: Ids;
}

function buildCatalog(seed: number, organisers = ORGS.length): Catalog {
  const rng = new Rng(seed, 1);
  const ids = new Ids(new Rng(seed, 2));

  const partnerTime = () => BASE_TIME - 1200 * DAY + rng.int(300 * DAY);
  const orgs: DemoPartner[] = ORGS.map(([name]) => ({ id: ids.next(partnerTime()), name, kind: 'org' }));
  const vendors: DemoPartner[] = VENDORS.map(([name]) => ({ id: ids.next(partnerTime()), name, kind: 'vendor' }));

  // shuffle the titles (Fisher–Yates) and deal them out to the organisers
  const titles = [...TITLES];
  for (let i = titles.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [titles[i], titles[j]] = [titles[j] as string, titles[i] as string];
  }

  const events: CatalogEvent[] = [];
  const byOrg: Weighted<CatalogEvent>[] = [];
  let t = 0;
  ORGS.forEach(([, , count], orgIndex) => {
    const own: CatalogEvent[] = [];
    const popularity: number[] = [];
    for (let k = 0; k < count; k++) {
      const e = buildEvent(rng, ids, titles[t++] as string, (orgs[orgIndex % organisers] as DemoPartner).id);
      own.push(e);
      events.push(e);
      popularity.push(1 + rng.int(10));
    }
    byOrg.push(new Weighted(own, popularity));
  });

  return {
    partners: [...orgs, ...vendors],
    vendors: new Weighted(vendors, VENDORS.map((v) => v[1])),
    orgs: new Weighted(byOrg, ORGS.map((o) => o[1])),
    events,
    ids,
  };
}

function buildEvent(rng: Rng, ids: Ids, title: string, org: string): CatalogEvent {
  const russian = CYRILLIC.test(title);
  // starts between ~23 months before BASE_TIME and 3 months after, in the evening (UTC)
  const start = BASE_TIME + (rng.range(-700, 90) * DAY) + rng.range(15, 19) * HOUR + (rng.chance(0.5) ? 30 * MINUTE : 0);
  const multiDay = /Фестиваль|Festival|Weekend|Выставка|Expo|Exhibition/.test(title);
  const finish = start + (multiDay ? rng.range(1, 3) * DAY : 0) + rng.range(2, 4) * HOUR;
  const createdAt = start - rng.range(120, 300) * DAY;
  let status: Event['status'];
  if (rng.chance(0.06)) status = 'canceled';
  else if (finish < BASE_TIME) status = 'finished';
  else status = rng.chance(0.15) ? 'stand_by' : 'public';

  const event: Event = {
    id: ids.next(createdAt),
    org,
    title: { text: title, desc: rng.pick(russian ? DESC_RU : DESC_EN) },
    lifetime: { start: formatTimestamp(start), finish: formatTimestamp(finish) },
    status,
    timezone: (russian ? ZONES_RU : ZONES_EN).pick(rng),
  };

  // categories: a base price of 500..5000 (a multiple of 50), then the usual ladder
  const base = rng.range(10, 100) * 50 * 100;
  const setCount = rng.range(2, 4);
  const sectors = russian ? SECTORS_RU : SECTORS_EN;
  const sets: CatalogSet[] = [];
  for (let k = 0; k < setCount; k++) {
    let price = Math.round((base * (SET_RATIOS[k] as number)) / 10_000) * 10_000;
    if (rng.chance(0.2)) price -= 10; // 1499.90-style prices
    sets.push({ id: ids.next(createdAt + k + 1), price: Math.max(price, 10_000), sector: sectors[k] as string });
  }

  const promocodes: string[] = [];
  const promoCount = rng.range(0, 2);
  for (let k = 0; k < promoCount; k++) promocodes.push(ids.next(createdAt + DAY + k));

  const salesFrom = Math.max(start - 150 * DAY, HISTORY_START);
  const salesTo = Math.min(start, BASE_TIME) - 1;
  return {
    event,
    sets,
    setPick: new Weighted(sets, sets.map((_, k) => setCount - k + 1)),
    seated: rng.chance(0.4),
    rowsAsNumbers: rng.chance(0.5),
    rows: rng.range(10, 30),
    seatsPerRow: rng.range(20, 40),
    promocodes,
    salesFrom,
    salesSpan: salesTo - salesFrom + 1,
  };
}

// ---------------------------------------------------------------------------
// Orders

const LOWER36 = 36 ** 4;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

class OrderStream {
  private readonly rng: Rng;
  private index = 0;
  private ticketIndex = 0;

  constructor(
    seed: number,
    private readonly catalog: Catalog,
  ) {
    this.rng = new Rng(seed, 3);
  }

  next(): Order {
    const rng = this.rng;
    const { ids } = this.catalog;
    const i = this.index++;

    const ce = this.catalog.orgs.pick(rng).pick(rng);
    const event = ce.event;
    const createdAt = ce.salesFrom + rng.int(ce.salesSpan);
    const status = STATUS.pick(rng);
    const id = ids.next(createdAt);

    const vendor = rng.chance(0.5) ? this.catalog.vendors.pick(rng).id : null;
    const origin = (vendor === null ? ORIGIN_DIRECT : ORIGIN_VENDOR).pick(rng);
    const invitation = vendor === null && origin === 'control_panel' && rng.chance(0.3);
    const promocode = !invitation && ce.promocodes.length > 0 && rng.chance(0.12) ? rng.pick(ce.promocodes) : null;
    const discountPercent = invitation ? 100 : promocode !== null ? rng.pick([10, 10, 15, 20]) : 0;
    const feePercent = invitation ? 0 : FEE_PERCENT[origin];

    const paid = status === 'done' || (status === 'cancelled' && rng.chance(0.5));
    const code = paid ? this.code() : null;

    let count: number;
    if (status === 'expired') count = rng.chance(0.6) ? 0 : rng.range(1, 3);
    else if (status === 'cancelled') count = rng.chance(0.35) ? 0 : rng.range(1, 4);
    else count = TICKETS_PAID.pick(rng);

    let ticketStatus: TicketStatus;
    if (status === 'done') ticketStatus = 'sold';
    else if (status === 'in_progress') ticketStatus = 'reserved';
    else if (status === 'executed') ticketStatus = rng.chance(0.3) ? 'pending' : 'reserved';
    else if (status === 'cancelled') ticketStatus = paid ? 'refunded' : 'cancelled';
    else ticketStatus = 'cancelled';

    const tickets: Ticket[] = [];
    let sumPrice = 0;
    let sumDiscount = 0;
    let sumExtra = 0;
    const oneSet = rng.chance(0.75) ? ce.setPick.pick(rng) : null;
    const row = ce.seated ? 1 + rng.int(ce.rows) : 0;
    let seatNo = ce.seated ? 1 + rng.int(Math.max(1, ce.seatsPerRow - count)) : 0;
    for (let k = 0; k < count; k++) {
      const set = oneSet ?? ce.setPick.pick(rng);
      const price = set.price;
      const discount = Math.round((price * discountPercent) / 100);
      const nominal = price - discount;
      const extra = Math.round((nominal * feePercent) / 100);
      sumPrice += price;
      sumDiscount += discount;
      sumExtra += extra;
      const n = ++this.ticketIndex;
      const ticket: Ticket = {
        id: ids.next(createdAt),
        number: 500_000 + n,
        serial: LETTERS.charAt(rng.int(26)) + LETTERS.charAt(rng.int(26)) + LETTERS.charAt(rng.int(26)),
        barcode: rng.chance(0.08) ? null : `1${String(n).padStart(9, '0')}${rng.digits(7)}`,
        set: set.id,
        // a partial refund now and then on paid orders
        status: status === 'done' && k > 0 && rng.chance(0.02) ? 'refunded' : ticketStatus,
        price: formatMoney(price),
        discount: formatMoney(discount),
        nominal: formatMoney(nominal),
        extra: formatMoney(extra),
        full: formatMoney(nominal + extra),
      };
      if (ce.seated) {
        const r = ce.rowsAsNumbers ? row : String(row);
        const s = seatNo++;
        ticket.seat = { row: r, number: ce.rowsAsNumbers ? s : String(s), sector: set.sector };
      }
      tickets.push(ticket);
    }

    const setsValues: Order['values']['sets_values'] = {};
    for (const set of ce.sets) {
      const discount = Math.round((set.price * discountPercent) / 100);
      setsValues[set.id] = {
        id: set.id,
        price: formatMoney(set.price),
        nominal: formatMoney(set.price - discount),
        discount: formatMoney(discount),
        promocode,
      };
    }

    const settings: Order['settings'] = {
      invitation,
      send_tickets: rng.chance(0.85),
      subscribe_agree: rng.chance(0.3),
    };
    if (rng.chance(0.7)) settings.customer = this.customer();

    const nominal = sumPrice - sumDiscount;
    return {
      id,
      number: 100_001 + i,
      code,
      status,
      created_at: formatTimestamp(createdAt),
      done_at: status === 'done' ? formatTimestamp(createdAt + rng.range(20, RESERVATION)) : null,
      expired_after: formatTimestamp(createdAt + RESERVATION),
      event: event.id,
      org: event.org,
      vendor,
      origin,
      promocodes: promocode === null ? [] : [promocode],
      settings,
      tickets,
      values: {
        price: formatMoney(sumPrice),
        discount: formatMoney(sumDiscount),
        nominal: formatMoney(nominal),
        extra: formatMoney(sumExtra),
        full: formatMoney(nominal + sumExtra),
        sets_values: setsValues,
        viral_promocodes: [],
      },
      vendor_data: vendor !== null && rng.chance(0.2) ? { external_id: `EXT-${rng.digits(8)}` } : {},
    };
  }

  /** 8 characters [a-z0-9]. */
  private code(): string {
    const rng = this.rng;
    return rng.int(LOWER36).toString(36).padStart(4, '0') + rng.int(LOWER36).toString(36).padStart(4, '0');
  }

  private customer(): Customer {
    const rng = this.rng;
    const russian = rng.chance(0.75);
    let name: string;
    let first: string;
    let last: string;
    if (russian) {
      const female = rng.chance(0.55);
      const f = rng.pick(female ? RU_FEMALE : RU_MALE);
      const l = rng.pick(RU_SURNAMES);
      name = `${f[0]} ${l[0]}${female ? 'а' : ''}`;
      first = f[1];
      last = l[1] + (female ? 'a' : '');
    } else {
      const f = rng.pick(EN_FIRST);
      const l = rng.pick(EN_LAST);
      name = `${f[0]} ${l[0]}`;
      first = f[1];
      last = l[1];
    }
    const domain = rng.pick(russian ? RU_DOMAINS : EN_DOMAINS);
    let local: string;
    switch (rng.int(4)) {
      case 0:
        local = `${first}.${last}`;
        break;
      case 1:
        local = `${first}${last}${rng.range(1, 99)}`;
        break;
      case 2:
        local = `${first[0] ?? ''}${last}`;
        break;
      default:
        local = `${last}.${first}${rng.range(70, 99) + 1900}`;
    }
    let phone: string;
    if (russian) {
      const d = rng.digits(9);
      phone = rng.chance(0.7)
        ? `+7 9${d.slice(0, 2)} ${d.slice(2, 5)}-${d.slice(5, 7)}-${d.slice(7)}`
        : `89${d}`;
    } else {
      phone = `+44 7${rng.digits(3)} ${rng.digits(6)}`;
    }
    // some customers left a field empty; at least one of name/email/phone always remains
    const noName = rng.chance(0.04);
    const noEmail = !noName && rng.chance(0.03);
    const noPhone = rng.chance(0.12);
    return {
      name: noName ? null : name,
      email: noEmail ? null : `${local}@${domain}`,
      phone: noPhone ? null : phone,
      lang: russian ? (rng.chance(0.92) ? 'ru' : 'en') : rng.chance(0.9) ? 'en' : 'ru',
    };
  }
}

// ---------------------------------------------------------------------------
// API

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
}

/** The demo partners (deterministic for a seed), largest organiser first. */
export function demoPartners(seed: number): DemoPartner[] {
  checkSeed(seed);
  return buildCatalog(seed).partners.map((p) => ({ ...p }));
}

/** Yields partners first, then events, then `orders` orders, all valid per src/import/validate.ts validateLine rules. */
export function generateSeed(options: SeedOptions): Generator<ImportItem> {
  checkSeed(options.seed);
  if (!Number.isSafeInteger(options.orders) || options.orders < 0) {
    throw new RangeError(`orders must be a non-negative integer, got ${options.orders}`);
  }
  const organisers = options.organisers ?? ORGS.length;
  if (!Number.isInteger(organisers) || organisers < 1 || organisers > ORGS.length) {
    throw new RangeError(`organisers must be an integer from 1 to ${ORGS.length}, got ${organisers}`);
  }
  return items(options);
}

function* items({ orders, seed, organisers }: SeedOptions): Generator<ImportItem> {
  const catalog = buildCatalog(seed, organisers);
  for (const p of catalog.partners) yield { kind: 'partner', value: { id: p.id, name: p.name } };
  for (const e of catalog.events) yield { kind: 'event', value: e.event };
  const stream = new OrderStream(seed, catalog);
  for (let i = 0; i < orders; i++) yield { kind: 'order', value: stream.next() };
}
