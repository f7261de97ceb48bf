/**
 * Writes of the import (and of `kassa seed`, which feeds the same path).
 * Always used inside one transaction: all-or-nothing per file.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db/database.js';
import { oneOf } from '../db/sql.js';
import { ACCESS_TYPES, ORDER_TYPES, TICKET_TYPES, type SqlTypes } from '../db/columns.js';
import type { Database, EventTable, OrderTable, PartnerTable, TicketTable } from '../db/types.js';
import { BucketTally, type BucketSource } from '../orders/counts.js';
import type { OrderRows } from '../orders/mappers.js';

const BUCKET_COLUMNS = ['partner_id', 'created_at', 'status', 'event_id', 'has_customer'] as const;
/** Distinct count buckets held in memory before they are written early. */
const MAX_TALLY = 100_000;

/** Rows per INSERT, keeping parameters below SQLite's 32766 and PostgreSQL's 65535. */
function chunks<T>(items: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(30_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class ImportRepository {
  /** order_counts deltas of the writes not yet applied (writeCounts) */
  private readonly counts = new BucketTally();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * PostgreSQL bulk insert: one array parameter per column, zipped by
   * unnest(). Parsing and planning stay constant however many rows, unlike a
   * VALUES list with one parameter per cell.
   */
  private async pgInsert<T>(table: keyof Database, types: SqlTypes<T>, rows: T[], upsertOn?: string): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(types) as (keyof T & string)[];
    const arrays = columns.map((c) => sql`${rows.map((r) => r[c] ?? null)}::${sql.raw(types[c])}[]`);
    const upsert = upsertOn
      ? sql` on conflict (${sql.ref(upsertOn)}) do update set ${sql.join(
          columns.filter((c) => c !== upsertOn).map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`),
        )}`
      : sql``;
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})${upsert}`.execute(
      this.db,
    );
  }

  async existingPartners(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('partners').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  async eventOrgs(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('events').select(['id', 'org_id']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.org_id]));
  }

  async upsertPartner(row: PartnerTable): Promise<void> {
    await this.db
      .insertInto('partners')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: row.name }))
      .execute();
  }

  async upsertEvent(row: EventTable): Promise<void> {
    const { id: _id, ...rest } = row;
    await this.db
      .insertInto('events')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(rest))
      .execute();
  }

  /** Orders already holding these numbers: number -> order id. */
  async numberOwners(numbers: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const part of chunks(numbers, 1)) {
      const rows = await this.db
        .selectFrom('orders')
        .select(['id', 'number'])
        .where((eb) => oneOf(this.dialect, eb.ref('number'), part, 'bigint'))
        .execute();
      for (const r of rows) out.set(Number(r.number), r.id);
    }
    return out;
  }

  /** Orders already holding these ticket ids: ticket id -> order id. */
  async ticketOwners(ticketIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(ticketIds, 1)) {
      const rows = await this.db
        .selectFrom('tickets')
        .select(['id', 'order_id'])
        .where((eb) => oneOf(this.dialect, eb.ref('id'), part, 'text'))
        .execute();
      for (const r of rows) out.set(r.id, r.order_id);
    }
    return out;
  }

  /** Inserts or replaces whole orders: the order row, its tickets and its access rows. */
  async writeOrders(batch: OrderRows[]): Promise<void> {
    if (batch.length === 0) return;
    const ids = batch.map((b) => b.order.id);
    const access = batch.flatMap((b) => b.access);
    // The access rows being replaced, so that the counts lose what they gain.
    const removed: BucketSource[] = [];
    if (this.dialect === 'postgres') {
      await this.db.deleteFrom('tickets').where((eb) => oneOf(this.dialect, eb.ref('order_id'), ids, 'text')).execute();
      removed.push(
        ...(await this.db
          .deleteFrom('order_access')
          .where((eb) => oneOf(this.dialect, eb.ref('order_id'), ids, 'text'))
          .returning(BUCKET_COLUMNS)
          .execute()),
      );
      await this.pgInsert('orders', ORDER_TYPES, batch.map((b) => b.order as OrderTable), 'id');
      await this.pgInsert('tickets', TICKET_TYPES, batch.flatMap((b) => b.tickets as TicketTable[]));
      await this.pgInsert('order_access', ACCESS_TYPES, access);
      await this.tallyCounts(removed, access);
      return;
    }
    for (const part of chunks(ids, 1)) {
      await this.db.deleteFrom('tickets').where('order_id', 'in', part).execute();
      removed.push(...(await this.db.deleteFrom('order_access').where('order_id', 'in', part).returning(BUCKET_COLUMNS).execute()));
    }
    const orders = batch.map((b) => b.order);
    const columns = Object.keys(orders[0]!).filter((c) => c !== 'id') as (keyof (typeof orders)[0])[];
    for (const part of chunks(orders, columns.length + 1)) {
      await this.db
        .insertInto('orders')
        .values(part)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}`)]))),
        )
        .execute();
    }
    const tickets = batch.flatMap((b) => b.tickets);
    for (const part of chunks(tickets, 14)) await this.db.insertInto('tickets').values(part).execute();
    for (const part of chunks(access, 6)) await this.db.insertInto('order_access').values(part).execute();
    await this.tallyCounts(removed, access);
  }

  private async tallyCounts(removed: BucketSource[], added: BucketSource[]): Promise<void> {
    this.counts.add(removed, added);
    // bounded memory for imports touching very many buckets
    if (this.counts.size >= MAX_TALLY) await this.writeCounts();
  }

  /**
   * PostgreSQL: VACUUM (ANALYZE) of the tables an import writes, once it
   * has committed (importing() in service.ts). ANALYZE gives the planner the
   * new rows' statistics: without them the list's plans right after seeding
   * 1M orders into a new database were catastrophic (one month's page at
   * c=16: the bench floor's raw SQL 4 requests per second instead of ~500,
   * the API ~100 instead of ~450; docs/DECISIONS.md). VACUUM marks the new rows' pages all-visible, so
   * that the list's index-only scans of order_access need not visit the
   * table for each entry. Autovacuum does both, but only some time later;
   * both skip what is already done (ANALYZE samples a bounded number of
   * rows, VACUUM skips all-visible pages). SQLite: nothing — its planner
   * works from its indexes alone (no sqlite_stat1), which is what the list
   * was measured with, and it has no visibility map.
   */
  async vacuumAnalyze(): Promise<void> {
    if (this.dialect !== 'postgres') return;
    // not in a transaction: VACUUM refuses to run in one
    await sql`vacuum (analyze) orders, order_access, tickets, order_counts, events, partners`.execute(this.db);
  }

  /**
   * Applies the counts of the orders written so far to order_counts. Call it
   * before the transaction commits (the import's finish does): the counts
   * change in the same transaction as the rows they count.
   */
  async writeCounts(): Promise<void> {
    for (const part of chunks(this.counts.take(), 6)) {
      await this.db
        .insertInto('order_counts')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['partner_id', 'event_id', 'month', 'status', 'has_customer']).doUpdateSet((eb) => ({
            n: eb('order_counts.n', '+', eb.ref('excluded.n')),
          })),
        )
        .execute();
    }
  }
}
