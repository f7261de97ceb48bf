/**
 * Hand-made datasets for integration tests: partners, events and orders in the
 * API's own shapes (SPEC §5), valid for import (money rules satisfied: per
 * ticket nominal = price − discount and full = nominal + extra; the order's
 * values are the sums over its tickets).
 *
 * Money is given to the builders in minor units (kopecks) and formatted here,
 * independently of src/shared/money.ts, so that tests check the API against
 * an independent rendering.
 */
import type { Db } from '../../src/db/database.js';
import type { Customer, Event, Order, OrderStatus, Partner, Ticket } from '../../src/orders/schemas.js';
import { importNdjson } from './app.js';

export type { Customer, Event, Order, OrderStatus, Partner, Ticket };

/** Minor units -> "123.45" (integers only). */
export function money(minor: number): string {
  if (!Number.isInteger(minor)) throw new Error(`money(): ${minor} is not an integer number of minor units`);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const TS = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** "YYYY-MM-DD HH:MM:SS" (UTC) -> ms since the epoch. */
export function tsToMs(ts: string): number {
  const m = TS.exec(ts);
  if (!m) throw new Error(`not a timestamp: ${ts}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** ms since the epoch -> "YYYY-MM-DD HH:MM:SS" (UTC). */
export function msToTs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function addSeconds(ts: string, seconds: number): string {
  return msToTs(tsToMs(ts) + seconds * 1000);
}

export interface TicketSpec {
  /** minor units; default 150000 (1500.00) */
  price?: number;
  /** minor units; default 0 */
  discount?: number;
  /** minor units; default 0 */
  extra?: number;
  /** set id; default: one set per builder */
  set?: string;
  status?: Ticket['status'];
  seat?: NonNullable<Ticket['seat']>;
  barcode?: string | null;
}

export interface OrderSpec {
  event: Event;
  /** vendor partner (id or object); default null */
  vendor?: Partner | string | null;
  /** UTC "YYYY-MM-DD HH:MM:SS"; default 2020-07-28 12:00:00 */
  created_at?: string;
  status?: OrderStatus;
  /** customer object to put in settings.customer; omitted when undefined */
  customer?: Customer;
  tickets?: TicketSpec[];
  origin?: Order['origin'];
  id?: string;
  number?: number;
  promocodes?: string[];
  vendor_data?: Record<string, unknown>;
}

const idOf = (p: Partner | string): string => (typeof p === 'string' ? p : p.id);

/**
 * Collects NDJSON objects for one test file. Ids come from a per-builder
 * counter under a per-builder prefix, so datasets never collide and are
 * deterministic; order numbers and ticket numbers are unique per builder.
 */
export class Dataset {
  readonly lines: unknown[] = [];
  private seq = 0;
  private orderNumber = 0;
  private ticketNumber = 0;
  readonly defaultSet: string;

  /** prefix: up to 8 hex digits making this builder's ids distinct from other builders' */
  constructor(private readonly prefix = '5f000000') {
    if (!/^[0-9a-f]{1,8}$/.test(prefix)) throw new Error('prefix must be 1-8 lowercase hex digits');
    this.defaultSet = this.id();
  }

  /** A fresh 24-hex id, increasing with each call. */
  id(): string {
    this.seq++;
    return this.prefix.padEnd(8, '0') + this.seq.toString(16).padStart(16, '0');
  }

  partner(name: string, id = this.id()): Partner {
    const partner: Partner = { id, name };
    this.lines.push({ partner });
    return partner;
  }

  event(org: Partner | string, overrides: Partial<Omit<Event, 'org'>> = {}): Event {
    const event: Event = {
      id: overrides.id ?? this.id(),
      org: idOf(org),
      title: overrides.title ?? { text: `Event ${this.seq}`, desc: null },
      lifetime: overrides.lifetime ?? { start: '2020-09-01 18:00:00', finish: '2020-09-01 22:00:00' },
      status: overrides.status ?? 'public',
      timezone: overrides.timezone ?? 'Europe/Moscow',
    };
    this.lines.push({ event });
    return event;
  }

  order(spec: OrderSpec): Order {
    const createdAt = spec.created_at ?? '2020-07-28 12:00:00';
    const status = spec.status ?? 'done';
    const ticketSpecs = spec.tickets ?? [{}];
    const tickets: Ticket[] = ticketSpecs.map((t) => {
      const price = t.price ?? 150000;
      const discount = t.discount ?? 0;
      const extra = t.extra ?? 0;
      const nominal = price - discount;
      const ticket: Ticket = {
        id: this.id(),
        number: ++this.ticketNumber,
        serial: 'AAA',
        barcode: t.barcode === undefined ? `${1000000 + this.ticketNumber}` : t.barcode,
        set: t.set ?? this.defaultSet,
        status: t.status ?? (status === 'done' ? 'sold' : 'reserved'),
        price: money(price),
        discount: money(discount),
        nominal: money(nominal),
        extra: money(extra),
        full: money(nominal + extra),
      };
      if (t.seat) ticket.seat = t.seat;
      return ticket;
    });
    const sum = (f: (t: TicketSpec) => number) => ticketSpecs.reduce((acc, t) => acc + f(t), 0);
    const price = sum((t) => t.price ?? 150000);
    const discount = sum((t) => t.discount ?? 0);
    const extra = sum((t) => t.extra ?? 0);
    const setsValues: Order['values']['sets_values'] = {};
    for (const t of tickets) {
      setsValues[t.set] ??= { id: t.set, price: t.price, nominal: t.nominal, discount: t.discount, promocode: null };
    }
    const settings: Order['settings'] = { invitation: false, send_tickets: true, subscribe_agree: false };
    if (spec.customer !== undefined) settings.customer = spec.customer;
    this.orderNumber++;
    const order: Order = {
      id: spec.id ?? this.id(),
      number: spec.number ?? parseInt(this.prefix.slice(0, 4), 16) * 100_000 + this.orderNumber,
      code: status === 'done' ? `c${this.orderNumber.toString(36).padStart(7, '0')}` : null,
      status,
      created_at: createdAt,
      done_at: status === 'done' ? addSeconds(createdAt, 90) : null,
      expired_after: addSeconds(createdAt, 15 * 60),
      event: spec.event.id,
      org: spec.event.org,
      vendor: spec.vendor === undefined || spec.vendor === null ? null : idOf(spec.vendor),
      origin: spec.origin ?? 'api',
      promocodes: spec.promocodes ?? [],
      settings,
      tickets,
      values: {
        price: money(price),
        discount: money(discount),
        nominal: money(price - discount),
        extra: money(extra),
        full: money(price - discount + extra),
        sets_values: setsValues,
        viral_promocodes: [],
      },
      vendor_data: spec.vendor_data ?? {},
    };
    this.lines.push({ order });
    return order;
  }

  async load(db: Db): Promise<void> {
    await importNdjson(db, this.lines);
  }
}

/** Expected list order (SPEC §3): created_at desc, then id desc. */
export function newestFirst<T extends { id: string; created_at: string }>(orders: readonly T[]): T[] {
  return [...orders].sort((a, b) =>
    a.created_at !== b.created_at ? (a.created_at < b.created_at ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0,
  );
}

export const CUSTOMER: Customer = { name: 'Ivan Petrov', email: 'ivan@example.com', phone: '+79990001122', lang: 'ru' };
