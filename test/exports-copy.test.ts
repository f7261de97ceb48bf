/**
 * The csv export PostgreSQL formats itself (src/exports/csv-repository.ts)
 * must be the csv the JavaScript writer makes from rows, byte for byte: for
 * text that needs quoting or a formula guard, money, seats, promocodes, and
 * times in zones with odd offsets and transitions, from year 0000 to 9999,
 * under each kind of filter. PostgreSQL only: SQLite has no COPY.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvCopyReader, copyStatement } from '../src/exports/csv-repository.js';
import { writeExportFiles } from '../src/exports/files.js';
import { ExportRowMapper } from '../src/exports/mappers.js';
import { ExportReader } from '../src/exports/repository.js';
import type { OrderFilters } from '../src/orders/filters.js';
import { Dataset, msToTs, type Customer } from './support/builders.js';
import { DIALECTS, connectionsBackTo, createTestDb, otherConnections, type TestDb } from './support/db.js';

const TRICKY = [
  '',
  'plain',
  'Иван Петров',
  'emoji 🎟️👩‍👩‍👧',
  'say "hi", twice ""',
  'two\nlines',
  'cr\ronly',
  'crlf\r\ninside',
  '=SUM(A1:A9)',
  '+7 900 000-00-00',
  '-1+1',
  '@me@example.com',
  '\tleading tab',
  '\rleading cr',
  '＝full-width',
  '＋plus',
  '－minus',
  '＠at',
  "'already quoted",
  '\\.',
  ' spaced ',
  'comma,',
];

const ZONES = [
  'UTC',
  'Europe/Moscow',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'America/New_York',
  'Australia/Lord_Howe',
  'Europe/Dublin',
  'Asia/Tehran',
];

const YEAR_0 = new Date(0).setUTCFullYear(0, 0, 1);

/** The exports here are stamped with this time; their files are named by it. */
const GENERATED_AT = new Date('2026-11-29T00:00:00Z');

/** The two csv files an export stamped GENERATED_AT wrote into `dir`: [orders, tickets]. */
async function readTables(dir: string): Promise<readonly [string, string]> {
  const read = (name: string) => readFile(join(dir, `${name}-20261129-000000.csv`), 'utf8');
  return [await read('orders'), await read('tickets')];
}

describe.each(DIALECTS.filter((d) => d === 'postgres'))('csv formatted by PostgreSQL (%s)', (dialect) => {
  let t: TestDb;
  let dir: string;
  const data = new Dataset('c0');
  const org = data.partner('Концертное агентство «Мир», "кавычки"');
  const vendor = data.partner('=HYPERLINK("http://evil","click")');
  const events = TRICKY.slice(0, 6).map((text, i) =>
    data.event(org, { title: { text: text || 'untitled', desc: null }, lifetime: { start: `20${10 + i}-03-2${i} 0${i}:30:00`, finish: '2030-01-01 00:00:00' } }),
  );
  // times: the edges of the range, DST changes, and a deterministic spread over 0000–9999
  const FIXED = ['0000-01-01 00:00:00', '0000-03-01 00:30:00', '0001-01-01 08:00:00', '1969-12-31 23:59:59', '1970-01-01 00:00:00', '2020-03-08 07:00:00', '2020-10-25 00:30:00', '2021-03-28 01:00:00', '9999-12-31 23:40:00'];
  const spread = fc.sample(fc.integer({ min: YEAR_0, max: Date.UTC(9999, 11, 31, 23, 0, 0) }), { numRuns: 150, seed: 42 }).map((ms) => msToTs(Math.floor(ms / 1000) * 1000));
  const texts = fc.sample(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 })), { numRuns: 200, seed: 7 })
    // PostgreSQL text cannot hold NUL; the import would refuse it for every database
    .map((s) => s.replaceAll('\u0000', ''));
  const seats = [
    { row: '5', number: 12, sector: 'Партер' },
    { row: -1, number: '-1', sector: null },
    { row: 1.5, number: 1e21, sector: '=A1' },
    { row: null, number: null, sector: '' },
    { row: 'ряд "7"', number: '12,13', sector: 'балкон\nлевый' },
  ];
  // promocodes are ids: joined with ', ' (the field then needs quotes)
  const PROMOCODES = [[], [data.id()], [data.id(), data.id(), data.id()]];
  const MONEY = [0, 5, -5, 7, 99, -99, 100, -100, 600, 12_345, -12_345, 10_000_000_000, -10_000_000_000];
  const times = [...FIXED, ...spread];
  times.forEach((created_at, i) => {
    const text = (k: number) => texts[(i * 3 + k) % texts.length] as string;
    const customer: Customer | undefined = i % 7 === 6 ? undefined : { name: text(0), email: text(1), phone: text(2), lang: 'ru' };
    data.order({
      event: events[i % events.length]!,
      vendor: i % 2 === 0 ? vendor : null,
      status: (['done', 'cancelled', 'expired', 'in_progress', 'executed'] as const)[i % 5],
      created_at,
      ...(customer ? { customer } : {}),
      promocodes: PROMOCODES[i % PROMOCODES.length]!,
      origin: (['api', 'widget', 'control_panel'] as const)[i % 3],
      tickets: Array.from({ length: i % 4 }, (_, k) => ({
        price: 150000 + k * 1001,
        discount: k === 1 ? 1005 : 0,
        // every sign and width the money writers must agree on
        extra: MONEY[(i + k) % MONEY.length]!,
        barcode: k === 0 ? text(k) || null : `${i}-${k}`,
        ...(k !== 1 ? { seat: seats[(i + k) % seats.length]! } : {}),
      })),
    });
  });

  // an organiser of its own for the tests that change data under an export
  const late = data.partner('late');
  const lateEvent = data.event(late);
  for (let i = 0; i < 20; i++) {
    data.order({ event: lateEvent, customer: { name: `buyer ${i}`, email: `b${i}@example.com`, phone: '1', lang: 'en' }, tickets: [{ barcode: `bc-${i}-a` }, { barcode: `bc-${i}-b` }] });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kassa-copy-'));
    t = await createTestDb(dialect);
    await data.load(t.db);
  });

  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function* mapped<A, B>(source: AsyncIterable<A>, fn: (a: A) => B): AsyncGenerator<B> {
    for await (const item of source) yield fn(item);
  }

  /** The csv files of one export written both ways: [orders, tickets] from COPY, the same from rows, and the counts. */
  async function bothWays(partnerId: string, filters: OrderFilters, tz: string) {
    const base = { lang: 'ru' as const, tz, generatedAt: GENERATED_AT };
    const copyDir = await mkdtemp(join(dir, 'copy-'));
    const rowsDir = await mkdtemp(join(dir, 'rows-'));
    const copied = await new CsvCopyReader(t.db).snapshot(partnerId, filters, tz, (records) =>
      writeExportFiles({ ...base, dir: copyDir, format: 'csv', records }),
    );
    const written = await new ExportReader(t.db).snapshot((snap) =>
      writeExportFiles({
        ...base,
        dir: rowsDir,
        format: 'csv',
        orders: mapped(snap.orderRecords(partnerId, filters), ExportRowMapper.order),
        tickets: () => mapped(snap.ticketRecords(partnerId, filters), ExportRowMapper.ticket),
      }),
    );
    return { copy: await readTables(copyDir), rows: await readTables(rowsDir), copied, written };
  }

  it.each(ZONES)('is the same bytes as the JavaScript writer for every order and ticket (%s)', async (tz) => {
    const r = await bothWays(org.id, { onlyWithCustomer: false }, tz);
    expect(r.written.orders).toBe(times.length);
    expect(r.written.tickets).toBeGreaterThan(200);
    expect(r.copied.orders).toBe(r.written.orders);
    expect(r.copied.tickets).toBe(r.written.tickets);
    expect(r.copy[0]).toBe(r.rows[0]);
    expect(r.copy[1]).toBe(r.rows[1]);
  });

  it('is the same under every kind of filter (numbers and lists through current_setting)', async () => {
    const filterSets: OrderFilters[] = [
      { statuses: ['done', 'cancelled'], onlyWithCustomer: false },
      { events: [events[0]!.id, events[3]!.id], onlyWithCustomer: true },
      { createdFrom: Date.UTC(1970, 0, 1) / 1000, createdTo: Date.UTC(5000, 0, 1) / 1000, onlyWithCustomer: false },
      { createdFrom: Date.UTC(1000, 0, 1) / 1000, createdTo: Date.UTC(9000, 0, 1) / 1000, statuses: ['expired'], events: [events[2]!.id], onlyWithCustomer: true },
      // the most a request may name (MAX_EVENTS): 1,000 events, so 1,000 settings in one statement
      { events: [...Array.from({ length: 998 }, (_, i) => `ee${String(i).padStart(22, '0')}`), events[0]!.id, events[2]!.id], statuses: ['done', 'cancelled', 'expired', 'in_progress', 'executed'], onlyWithCustomer: false },
    ];
    for (const filters of filterSets) {
      const r = await bothWays(vendor.id, filters, 'Europe/Moscow');
      expect(r.written.orders).toBeGreaterThan(0);
      expect(r.copied).toMatchObject({ orders: r.written.orders, tickets: r.written.tickets });
      expect(r.copy).toEqual(r.rows);
    }
  });

  it('sees only the partner’s own orders', async () => {
    const outsider = await bothWays('ffffffffffffffffffffffff', { onlyWithCustomer: false }, 'UTC');
    expect(outsider.copied).toMatchObject({ orders: 0, tickets: 0 });
    expect(outsider.copy).toEqual(outsider.rows);
  });

  it('knows which zones PostgreSQL can format in', async () => {
    const reader = new CsvCopyReader(t.db);
    expect(await reader.knowsZone('Europe/Moscow')).toBe(true);
    expect(await reader.knowsZone('Mars/Olympus_Mons')).toBe(false);
    expect(await reader.knowsZone("'; drop table orders; --")).toBe(false);
  });

  it('reads both tables as of its start: a change committed while the orders stream is in neither', async () => {
    const exportOnce = async (change?: () => Promise<void>) => {
      const exportDir = await mkdtemp(join(dir, 'asof-'));
      await new CsvCopyReader(t.db).snapshot(late.id, { onlyWithCustomer: false }, 'UTC', (records) =>
        writeExportFiles({
          lang: 'en',
          tz: 'UTC',
          dir: exportDir,
          generatedAt: GENERATED_AT,
          format: 'csv',
          records: {
            orders: (async function* () {
              for await (const chunk of records.orders) {
                await change?.();
                change = undefined;
                yield chunk;
              }
            })(),
            tickets: records.tickets,
          },
        }),
      );
      return readTables(exportDir);
    };
    const lateOrders = sql`(select id from orders where org_id = ${late.id})`;
    const [orders, tickets] = await exportOnce(async () => {
      await sql`update tickets set barcode = 'CHANGED' where order_id in ${lateOrders}`.execute(t.db.kysely);
      await sql`update orders set customer_name = 'CHANGED' where id in ${lateOrders}`.execute(t.db.kysely);
    });
    expect(orders).toContain('buyer 7');
    expect(tickets).toContain('bc-7-b');
    expect(orders + tickets).not.toContain('CHANGED');
    // the change did land: the next export has it in both tables
    const [ordersAfter, ticketsAfter] = await exportOnce();
    expect(ordersAfter).toContain('CHANGED');
    expect(ticketsAfter).toContain('CHANGED');
    expect(ticketsAfter).not.toContain('bc-7-b');
  });

  it('stops when aborted mid-COPY: no files left, its connection closed', async () => {
    const before = await otherConnections(t.url);
    const abortDir = await mkdtemp(join(dir, 'abort-'));
    let chunks = 0;
    await expect(
      new CsvCopyReader(t.db).snapshot(org.id, { onlyWithCustomer: false }, 'UTC', (records) =>
        writeExportFiles({
          lang: 'en',
          tz: 'UTC',
          dir: abortDir,
          generatedAt: new Date(),
          format: 'csv',
          records: {
            orders: (async function* () {
              for await (const chunk of records.orders) {
                chunks += 1;
                yield chunk;
              }
            })(),
            tickets: records.tickets,
          },
          aborted: () => chunks >= 1,
        }),
      ),
    ).rejects.toThrow('export aborted');
    expect(chunks).toBe(1);
    expect(await readdir(abortDir)).toEqual([]);
    expect(await connectionsBackTo(t.url, before)).toBe(before);
  });
});

describe('copyStatement', () => {
  it('replaces each $n by its setting, casting numbers back, and sets the values as parameters', () => {
    const s = copyStatement({ sql: 'select * from t where a = $1 and b >= $2 and c in ($3, $10)', parameters: ['x', 5, "o'clock", 'y', 1, 2, 3, 4, 5, 'z'], query: null as never, queryId: null as never });
    expect(s.copy).toBe(
      "COPY (select * from t where a = current_setting('kassa.p1') and b >= current_setting('kassa.p2')::bigint and c in (current_setting('kassa.p3'), current_setting('kassa.p10'))) TO STDOUT WITH (FORMAT csv)",
    );
    expect(s.settings).toMatch(/^select set_config\('kassa\.p1', \$1, true\), set_config\('kassa\.p2', \$2, true\), /);
    expect(s.values).toEqual(['x', '5', "o'clock", 'y', '1', '2', '3', '4', '5', 'z']);
  });

  it('refuses values it cannot pass as text faithfully', () => {
    const q = (parameters: unknown[]) => ({ sql: 'select $1', parameters, query: null as never, queryId: null as never });
    expect(() => copyStatement(q([1.5]))).toThrow(/neither a string nor an integer/);
    expect(() => copyStatement(q([null]))).toThrow(/neither a string nor an integer/);
    expect(() => copyStatement(q([]))).toThrow(/no parameter \$1/);
  });
});
