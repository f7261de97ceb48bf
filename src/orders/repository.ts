/**
 * SQL of the orders list. Every query starts from `order_access` filtered by
 * the caller's partner id: the tenant filter lives here, not in callers. The
 * list's statements are NAMED: prepared once per connection on PostgreSQL.
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { NAMED, type Dialect } from '../db/database.js';
import { columnsOf, ORDER_TYPES, TICKET_TYPES } from '../db/columns.js';
import { oneOf } from '../db/sql.js';
import type { Database, EventRow, OrderRow, PartnerRow, TicketRow } from '../db/types.js';
import { ALL_EVENTS, planCount } from './counts.js';
import type { OrderFilters } from './filters.js';

export interface OrdersPageRows {
  total: number;
  orders: OrderRow[];
  tickets: TicketRow[];
  events: EventRow[];
  partners: PartnerRow[];
}

// Columns named rather than `*`: a named statement's result shape must not
// change under it (PostgreSQL refuses "cached plan must not change result
// type" once a migration adds a column). Every column of the table, from the
// one exhaustive list in db/columns.ts.
const ORDER_COLUMNS = columnsOf(ORDER_TYPES);
const TICKET_COLUMNS = columnsOf(TICKET_TYPES);
const EVENT_COLUMNS = ['id', 'org_id', 'title_text', 'title_desc', 'start_at', 'finish_at', 'status', 'timezone'] as const;

type AccessQuery = SelectQueryBuilder<Database, 'order_access', object>;

export class OrdersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** The partner's visible orders matching the filters (the tenant filter is not optional). */
  visible(partnerId: string, filters: OrderFilters): AccessQuery {
    let q = this.db.selectFrom('order_access').where('order_access.partner_id', '=', partnerId);
    if (filters.createdFrom !== undefined) q = q.where('order_access.created_at', '>=', filters.createdFrom);
    if (filters.createdTo !== undefined) q = q.where('order_access.created_at', '<', filters.createdTo);
    if (filters.statuses) q = q.where('order_access.status', 'in', filters.statuses);
    if (filters.events) q = q.where('order_access.event_id', 'in', filters.events);
    if (filters.onlyWithCustomer) q = q.where('order_access.has_customer', '=', 1);
    return q;
  }

  /**
   * Exact number of visible orders matching the filters, in one statement:
   * the pre-aggregated buckets of the whole months in the range plus an exact
   * count of the partial months at its edges (counts.ts).
   */
  async count(partnerId: string, filters: OrderFilters): Promise<number> {
    const plan = planCount(filters.createdFrom, filters.createdTo);
    const parts = plan.exact.map(
      (range) =>
        sql`(${this.visible(partnerId, { ...filters, createdFrom: range.from, createdTo: range.to }).select((eb) => eb.fn.countAll().as('n'))})`,
    );
    if (plan.months) {
      let q = this.db
        .selectFrom('order_counts')
        .select((eb) => eb.fn.sum('n').as('n'))
        .where('partner_id', '=', partnerId)
        .where('event_id', 'in', filters.events ?? [ALL_EVENTS]);
      if (plan.months.from !== undefined) q = q.where('month', '>=', plan.months.from);
      if (plan.months.to !== undefined) q = q.where('month', '<', plan.months.to);
      if (filters.statuses) q = q.where('status', 'in', filters.statuses);
      if (filters.onlyWithCustomer) q = q.where('has_customer', '=', 1);
      // SUM over no rows is NULL
      parts.push(sql`coalesce((${q}), 0)`);
    }
    const row = await this.db
      .selectNoFrom(sql<number | string>`${sql.join(parts, sql` + `)}`.as('n'))
      .modifyFront(NAMED)
      .executeTakeFirstOrThrow();
    // numeric (a string) on PostgreSQL when the buckets take part
    return Number(row.n);
  }

  /**
   * One page of orders, newest first, with everything the response refers to:
   * the total in parallel with the page, then the page's tickets, events and
   * partners in parallel. (Measured on PostgreSQL: one statement joining the
   * refs into the page plans ~0.7 ms slower than these small lookups, which
   * run side by side; docs/BENCHMARKS.md.)
   */
  async page(partnerId: string, filters: OrderFilters, limit: number, offset: number | null): Promise<OrdersPageRows> {
    const totalP = this.count(partnerId, filters);
    // Page the narrow index first, then join the wide rows for just the page:
    // a deep OFFSET then skips index entries, not joined orders.
    const ordersP =
      offset === null
        ? Promise.resolve([] as OrderRow[])
        : this.db
            .selectFrom(
              this.visible(partnerId, filters)
                .select(['order_access.order_id', 'order_access.created_at'])
                .orderBy('order_access.created_at', 'desc')
                .orderBy('order_access.order_id', 'desc')
                .limit(limit)
                .offset(offset)
                .as('p'),
            )
            .innerJoin('orders', 'orders.id', 'p.order_id')
            .select(ORDER_COLUMNS.map((c) => `orders.${c}` as const))
            .orderBy('p.created_at', 'desc')
            .orderBy('p.order_id', 'desc')
            .modifyFront(NAMED)
            .execute();
    const [total, orders] = await Promise.all([totalP, ordersP]);
    if (orders.length === 0) return { total, orders, tickets: [], events: [], partners: [] };

    const orderIds = orders.map((o) => o.id);
    const eventIds = [...new Set(orders.map((o) => o.event_id))];
    // Import guarantees an event's org is its orders' org, so orders alone name every partner in refs.
    const partnerIds = [...new Set(orders.flatMap((o) => (o.vendor_id === null ? [o.org_id] : [o.org_id, o.vendor_id])))];
    const [tickets, events, partners] = await Promise.all([
      this.db
        .selectFrom('tickets')
        .select(TICKET_COLUMNS)
        .where((eb) => oneOf(this.dialect, eb.ref('order_id'), orderIds, 'text'))
        .orderBy('order_id')
        .orderBy('position')
        .modifyFront(NAMED)
        .execute(),
      this.db
        .selectFrom('events')
        .select(EVENT_COLUMNS)
        .where((eb) => oneOf(this.dialect, eb.ref('id'), eventIds, 'text'))
        .modifyFront(NAMED)
        .execute(),
      this.db
        .selectFrom('partners')
        .select(['id', 'name'])
        .where((eb) => oneOf(this.dialect, eb.ref('id'), partnerIds, 'text'))
        .modifyFront(NAMED)
        .execute(),
    ]);
    return { total, orders, tickets, events, partners };
  }
}
