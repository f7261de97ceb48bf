import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrations.js';
import { BucketTally } from '../src/orders/counts.js';
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
