/**
 * Writes of the import (and of `kassa seed`, which feeds the same path).
 * Always used inside one transaction: all-or-nothing per file.
 */
import type { Kysely } from 'kysely';
import type { Database, EventTable, PartnerTable } from '../db/types.js';
import type { OrderRows } from '../orders/mappers.js';

/** Rows per INSERT, keeping parameters below SQLite's 32766 and PostgreSQL's 65535. */
function chunks<T>(items: T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(30_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class ImportRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
      const rows = await this.db.selectFrom('orders').select(['id', 'number']).where('number', 'in', part).execute();
      for (const r of rows) out.set(Number(r.number), r.id);
    }
    return out;
  }

  /** Orders already holding these ticket ids: ticket id -> order id. */
  async ticketOwners(ticketIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(ticketIds, 1)) {
      const rows = await this.db.selectFrom('tickets').select(['id', 'order_id']).where('id', 'in', part).execute();
      for (const r of rows) out.set(r.id, r.order_id);
    }
    return out;
  }

  /** Inserts or replaces whole orders: the order row, its tickets and its access rows. */
  async writeOrders(batch: OrderRows[]): Promise<void> {
    if (batch.length === 0) return;
    const ids = batch.map((b) => b.order.id);
    for (const part of chunks(ids, 1)) {
      await this.db.deleteFrom('tickets').where('order_id', 'in', part).execute();
      await this.db.deleteFrom('order_access').where('order_id', 'in', part).execute();
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
    const access = batch.flatMap((b) => b.access);
    for (const part of chunks(access, 6)) await this.db.insertInto('order_access').values(part).execute();
  }
}
