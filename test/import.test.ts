import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { VACUUM_ANALYZE_FROM, ImportFailed, importItems, importLines } from '../src/import/service.js';
import { OrdersRepository } from '../src/orders/repository.js';
import type { Order, OrdersPage } from '../src/orders/schemas.js';
import { generateSeed } from '../src/seed/generator.js';
import { OrdersService } from '../src/orders/service.js';
import { DIALECTS, clearOrders, createTestDb, type TestDb } from './support/db.js';

const fixture = readFileSync(new URL('./fixtures/seed-example.ndjson', import.meta.url), 'utf8').trim().split('\n');
const [orgLine, vendorLine, eventLine, orderLine] = fixture as [string, string, string, string];
const ORG = '5b04229196c055000d87c2b5';
const VENDOR = '5b02d6e9517565000d9cb1ce';
const EVENT = '5d31fbdd27649b0dff076117';

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const baseOrder = (JSON.parse(orderLine) as { order: Json }).order;

/** The fixture order with some fields changed (deep paths as dotted keys). */
function order(changes: Record<string, unknown> = {}): string {
  const o = clone(baseOrder);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let target: Json = o;
    for (const k of keys.slice(0, -1)) target = target[k] as Json;
    if (value === undefined) delete target[keys.at(-1)!];
    else target[keys.at(-1)!] = value;
  }
  return JSON.stringify({ order: o });
}

/** The order as the organiser's list shows it (the list's own reading and writing, on each database). */
async function listedOrder(t: TestDb, id: string): Promise<Order> {
  const page = await new OrdersService(new OrdersRepository(t.db.lists, t.dialect, t.db.pipeline)).list(ORG, { page_size: '200' });
  const found = (JSON.parse(page.toString('utf8')) as OrdersPage).data.find((o) => o.id === id);
  if (!found) throw new Error(`order ${id} is not listed`);
  return found;
}

async function problems(t: TestDb, lines: string[]): Promise<{ line: number; message: string }[]> {
  try {
    await importLines(t.db, lines);
  } catch (err) {
    if (err instanceof ImportFailed) return err.problems;
    throw err;
  }
  throw new Error('import succeeded');
}

describe.each(DIALECTS)('import (%s)', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(async () => {
    await t?.drop();
  });

  const count = async (table: 'orders' | 'tickets' | 'order_access' | 'partners' | 'events') =>
    Number((await t.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('rejects each kind of bad line with its line number, writing nothing', async () => {
    const cases: [string, RegExp][] = [
      ['{', /not valid JSON/],
      ['[1]', /expected one object/],
      ['{"partner":{"id":"5b04229196c055000d87c2b5","name":"x"},"event":{}}', /expected one object/],
      [order({ id: 'XYZ' }), /order\.id must be a 24-character lowercase hex id/],
      [order({ 'tickets.0.price': '150' }), /order\.tickets\[0\]\.price must be money/],
      [order({ 'tickets.0.nominal': '140.00' }), /nominal 140\.00 must equal price 150\.00 − discount 0\.00/],
      [order({ 'tickets.0.full': '155.00' }), /full 155\.00 must equal nominal 150\.00 \+ extra 6\.00/],
      [order({ 'values.full': '1.00' }), /order\.values\.full 1\.00 must equal the sum/],
      [order({ created_at: '2019-02-30 10:00:00' }), /created_at is not a real date/],
      [order({ created_at: '2019-07-25T14:56:16' }), /created_at must be a UTC timestamp/],
      [order({ status: 'paid' }), /order\.status must be one of executed, in_progress, done, cancelled, expired/],
      [order({ origin: 'phone' }), /order\.origin must be one of/],
      [order({ code: 'TOOLONG123' }), /order\.code must be 8 characters/],
      [order({ surprise: 1 }), /unknown field "surprise"/],
      [order({ number: undefined }), /missing "number"/],
      [order({ number: 0 }), /order\.number/],
      [order({ 'settings.customer': { name: 'A', email: null, phone: null, lang: 'de' } }), /lang must be one of ru, en/],
      [order({ 'values.sets_values.5d31fbfa27649b0dff07611b.id': '5d31fbfa8a75c12c9d64de13' }), /must equal its key/],
    ];
    for (const [line, expected] of cases) {
      const found = await problems(t, [orgLine, vendorLine, eventLine, line]);
      expect(found, line).toEqual(expect.arrayContaining([expect.objectContaining({ line: 4, message: expect.stringMatching(expected) })]));
    }
    expect(await count('partners')).toBe(0);
    expect(await count('orders')).toBe(0);
  });

  it('accepts customer.lang null and years before 100, and gives them back', async () => {
    const early = order({
      id: 'bd39c3108cd381a4891e07e0',
      number: 777,
      'tickets.0.id': 'bd31fbfb306fdcc187b91179',
      created_at: '0050-02-28 23:59:59',
      expired_after: '0050-03-01 00:14:59',
      'settings.customer': { name: 'Ann', email: null, phone: null, lang: null },
    });
    await importLines(t.db, [orgLine, vendorLine, eventLine, early]);
    const back = await listedOrder(t, 'bd39c3108cd381a4891e07e0');
    expect(back.created_at).toBe('0050-02-28 23:59:59');
    expect(back.expired_after).toBe('0050-03-01 00:14:59');
    expect(back.settings.customer).toEqual({ name: 'Ann', email: null, phone: null, lang: null });
    await clearOrders(t.db, { catalog: true });
  });

  it('resolves references within the file (also forward) or the database', async () => {
    // order before its event and partners
    await importLines(t.db, [orderLine, eventLine, vendorLine, orgLine]);
    expect(await count('orders')).toBe(1);
    expect(await count('order_access')).toBe(2);
    // now the database resolves them
    await importLines(t.db, [order({ id: '5d39c3108cd381a4891e07e1', number: 54882, 'tickets.0.id': '5d31fbfb306fdcc187b91170' })]);
    expect(await count('orders')).toBe(2);
  });

  it('reports unresolved references and a wrong org', async () => {
    const found = await problems(t, [
      order({ id: '6d39c3108cd381a4891e07e0', number: 7, event: 'eeeeeeeeeeeeeeeeeeeeeeee', 'tickets.0.id': '6d31fbfb306fdcc187b91179' }),
      order({ id: '7d39c3108cd381a4891e07e0', number: 8, vendor: 'cccccccccccccccccccccccc', 'tickets.0.id': '7d31fbfb306fdcc187b91179' }),
      order({ id: '8d39c3108cd381a4891e07e0', number: 9, org: VENDOR, 'tickets.0.id': '8d31fbfb306fdcc187b91179' }),
      JSON.stringify({ event: { ...(JSON.parse(eventLine) as { event: Json }).event, id: 'dddddddddddddddddddddddd', org: 'bbbbbbbbbbbbbbbbbbbbbbbb' } }),
      JSON.stringify({ event: { ...(JSON.parse(eventLine) as { event: Json }).event, org: VENDOR } }),
    ]);
    expect(found).toEqual([
      { line: 1, message: `order.event eeeeeeeeeeeeeeeeeeeeeeee does not exist (neither in this file nor in the database)` },
      { line: 2, message: 'order.vendor cccccccccccccccccccccccc does not exist (neither in this file nor in the database)' },
      { line: 3, message: `order.org ${VENDOR} must be the organiser of its event (${ORG})` },
      { line: 4, message: 'event.org bbbbbbbbbbbbbbbbbbbbbbbb does not exist (neither in this file nor in the database)' },
      { line: 5, message: `event ${EVENT} already belongs to organiser ${ORG}; an event's org cannot change` },
    ]);
    expect(await count('orders')).toBe(2);
  });

  it('rejects an order number or ticket id owned by another order', async () => {
    const found = await problems(t, [
      order({ id: '9d39c3108cd381a4891e07e0', 'tickets.0.id': '9d31fbfb306fdcc187b91179' }),
      order({ id: 'ad39c3108cd381a4891e07e0', number: 99 }),
    ]);
    expect(found).toEqual([
      { line: 1, message: 'order.number 54881 is already used by order 5d39c3108cd381a4891e07e0' },
      { line: 2, message: 'ticket 5d31fbfb306fdcc187b91179 already belongs to order 5d39c3108cd381a4891e07e0' },
    ]);
  });

  it('re-import replaces the order, its tickets and who can see it', async () => {
    const newVendor = 'abababababababababababab';
    await importLines(t.db, [
      JSON.stringify({ partner: { id: newVendor, name: 'Другой продавец' } }),
      order({
        vendor: newVendor,
        status: 'cancelled',
        tickets: [],
        'values.price': '0.00',
        'values.discount': '0.00',
        'values.nominal': '0.00',
        'values.extra': '0.00',
        'values.full': '0.00',
      }),
    ]);
    const access = await t.db.kysely
      .selectFrom('order_access')
      .select(['partner_id', 'status'])
      .where('order_id', '=', '5d39c3108cd381a4891e07e0')
      .orderBy('partner_id')
      .execute();
    expect(access).toEqual([
      { partner_id: ORG, status: 'cancelled' },
      { partner_id: newVendor, status: 'cancelled' },
    ]);
    const tickets = await t.db.kysely.selectFrom('tickets').select('id').where('order_id', '=', '5d39c3108cd381a4891e07e0').execute();
    expect(tickets).toEqual([]);
  });

  // service.ts VACUUM_ANALYZE_FROM: a big import leaves PostgreSQL's planner
  // statistics and visibility map behind until autovacuum comes; the import
  // brings them up to date.
  it(`vacuums and analyzes PostgreSQL's tables after an import of ${VACUUM_ANALYZE_FROM} orders or more, not after smaller ones`, async () => {
    /** The tables vacuumed and analyzed after importing `orders` seeded orders into a fresh database. */
    const analyzedAfter = async (orders: number): Promise<string[]> => {
      const fresh = await createTestDb(dialect);
      try {
        expect((await importItems(fresh.db, generateSeed({ orders, seed: 1 }))).orders).toBe(orders);
        const k = fresh.db.kysely;
        if (dialect === 'postgres') {
          const { rows } = await sql<{ relname: string }>`
            select relname from pg_stat_user_tables where last_analyze is not null and last_vacuum is not null order by relname`.execute(k);
          return rows.map((r) => r.relname);
        }
        // SQLite keeps its statistics in sqlite_stat1 once ANALYZE has run
        const { rows } = await sql<{ name: string }>`select name from sqlite_master where name like 'sqlite_stat%'`.execute(k);
        return rows.map((r) => r.name);
      } finally {
        await fresh.drop();
      }
    };
    expect(await analyzedAfter(VACUUM_ANALYZE_FROM - 1)).toEqual([]);
    // SQLite: left to its planner's defaults, as the list was measured
    expect(await analyzedAfter(VACUUM_ANALYZE_FROM)).toEqual(dialect === 'postgres' ? ['events', 'order_access', 'order_counts', 'orders', 'partners', 'tickets'] : []);
  });
});
