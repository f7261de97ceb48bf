import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrations.js';
import { BucketTally } from '../src/orders/counts.js';
import { EventMapper, OrderMapper, PartnerMapper } from '../src/orders/mappers.js';
import { Dataset, type Order } from './support/builders.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';

const at = (iso: string) => Date.parse(iso) / 1000;

describe.each(DIALECTS)('migration 0003_order_counts (%s)', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect, { upTo: '0002_exports' });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('backfills the counts of existing access rows into the same buckets the writes use', async () => {
    // times on and around month starts, a leap day, years 0050 and 1969
    const times = [
      '2024-01-31T23:59:59Z',
      '2024-02-01T00:00:00Z',
      '2024-02-29T12:00:00Z',
      '2024-03-01T00:00:00Z',
      '2024-12-31T23:59:59Z',
      '2025-01-01T00:00:00Z',
      '0050-02-28T23:59:59Z',
      '1969-12-31T23:59:59Z',
    ].map(at);
    const rows = times.flatMap((created_at, i) =>
      ['p1', 'p2'].slice(0, 1 + (i % 2)).map((partner_id) => ({
        partner_id,
        order_id: `o${i}`,
        created_at,
        status: i % 3 === 0 ? 'done' : 'cancelled',
        event_id: i % 2 === 0 ? 'e1' : 'e2',
        has_customer: i % 4 === 0 ? 1 : 0,
      })),
    );
    await t.db.kysely.insertInto('order_access').values(rows).execute();
    await migrateToLatest(t.db);

    const key = (r: { partner_id: string; event_id: string; month: number; status: string; has_customer: number }) =>
      `${r.partner_id}/${r.event_id}/${r.month}/${r.status}/${r.has_customer}`;
    const stored = await t.db.kysely.selectFrom('order_counts').selectAll().execute();
    const got = Object.fromEntries(stored.map((r) => [key({ ...r, month: Number(r.month) }), Number(r.n)]));
    const tally = new BucketTally();
    tally.add([], rows);
    const expected = Object.fromEntries(tally.take().map((d) => [key(d), d.n]));
    expect(got).toEqual(expected);
  });
});

describe.each(DIALECTS)('migration 0004_order_documents (%s)', (dialect) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect, { upTo: '0003_order_counts' });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('writes every existing order the document the import would write (more orders than one batch)', async () => {
    const d = new Dataset('0d0c0000');
    const org = d.partner('Организатор «Север»');
    const vendor = d.partner('Vendor 🎫');
    const event = d.event(org);
    const orders: Order[] = [];
    for (let i = 0; i < 1_050; i++) {
      orders.push(
        d.order({
          event,
          vendor: i % 3 === 0 ? vendor : null,
          created_at: i === 7 ? '0050-02-28 23:59:59' : `2024-0${1 + (i % 9)}-1${i % 10} 0${i % 10}:00:00`,
          status: i % 4 === 0 ? 'cancelled' : 'done',
          ...(i % 2 === 0 ? { customer: { name: `Имя "${i}"\n`, email: null, phone: '+7 999', lang: 'ru' as const } } : {}),
          tickets: i % 5 === 0 ? [{ seat: { row: '3', number: 12, sector: 'Партер' } }, { price: 99, discount: 9 }] : [{}],
          promocodes: i % 7 === 0 ? ['p1', 'p2'] : [],
          vendor_data: i % 11 === 0 ? { note: 'emoji 😀', n: [1, 2] } : {},
        }),
      );
    }
    // the rows as the import wrote them before this migration: no document
    const k = t.db.kysely;
    await k.insertInto('partners').values([PartnerMapper.toRow(org), PartnerMapper.toRow(vendor)]).execute();
    await k.insertInto('events').values(EventMapper.toRow(event)).execute();
    const rows = orders.map((o) => OrderMapper.toRows(o));
    for (let i = 0; i < rows.length; i += 500) {
      const part = rows.slice(i, i + 500);
      await k
        .insertInto('orders')
        .values(part.map(({ order: { document: _document, ...row } }) => row) as never)
        .execute();
      await k.insertInto('tickets').values(part.flatMap((r) => r.tickets)).execute();
    }

    await migrateToLatest(t.db);

    const stored = new Map((await k.selectFrom('orders').select(['id', 'document']).execute()).map((r) => [r.id, r.document]));
    expect(stored.size).toBe(orders.length);
    for (const [i, order] of orders.entries()) {
      expect(stored.get(order.id)).toBe(rows[i]!.order.document);
      expect(JSON.parse(stored.get(order.id)!)).toEqual(order);
    }
  });
});
