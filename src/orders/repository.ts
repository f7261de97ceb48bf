/**
 * SQL of the orders list. Every query starts from `order_access` filtered by
 * the caller's partner id: the tenant filter lives here, not in callers.
 */
import { sql, type Expression, type Kysely, type SelectQueryBuilder } from 'kysely';
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

type AccessQuery = SelectQueryBuilder<Database, 'order_access', object>;

export class OrdersRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
   * Exact number of visible orders matching the filters, as one SQL
   * expression: the pre-aggregated buckets of the whole months in the range
   * plus an exact count of the partial months at its edges (counts.ts).
   */
  private total(partnerId: string, filters: OrderFilters): Expression<unknown> {
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
    return sql.join(parts, sql` + `);
  }

  async count(partnerId: string, filters: OrderFilters): Promise<number> {
    const row = await this.db
      .selectNoFrom(sql<number | string>`${this.total(partnerId, filters)}`.as('n'))
      .executeTakeFirstOrThrow();
    // numeric (a string) on PostgreSQL when the buckets take part
    return Number(row.n);
  }

  /**
   * One page of orders, newest first, with everything the response refers to,
   * in two statements: the page, carrying the total and each order's event
   * and partners; then the page's tickets. (Each statement is a round trip and
   * a few socket writes: six of them cost more than the queries themselves.)
   */
  async page(partnerId: string, filters: OrderFilters, limit: number, offset: number | null): Promise<OrdersPageRows> {
    if (offset === null) return { total: await this.count(partnerId, filters), orders: [], tickets: [], events: [], partners: [] };
    // Page the narrow index first, then join the wide rows for just the page:
    // a deep OFFSET then skips index entries, not joined orders. The total is
    // an uncorrelated subquery: evaluated once, not per row.
    const rows = await this.db
      .selectFrom(
        this.visible(partnerId, filters)
          .select(['order_access.order_id', 'order_access.created_at'])
          .orderBy('order_access.created_at', 'desc')
          .orderBy('order_access.order_id', 'desc')
          .limit(limit)
          .offset(offset)
          .as('p'),
      )
      .innerJoin('orders as o', 'o.id', 'p.order_id')
      .leftJoin('events as e', 'e.id', 'o.event_id')
      .leftJoin('partners as org', 'org.id', 'o.org_id')
      .leftJoin('partners as v', 'v.id', 'o.vendor_id')
      .selectAll('o')
      .select([
        'e.id as e_id',
        'e.org_id as e_org_id',
        'e.title_text as e_title_text',
        'e.title_desc as e_title_desc',
        'e.start_at as e_start_at',
        'e.finish_at as e_finish_at',
        'e.status as e_status',
        'e.timezone as e_timezone',
        'org.id as org_pid',
        'org.name as org_name',
        'v.id as vendor_pid',
        'v.name as vendor_name',
        sql<number | string>`${this.total(partnerId, filters)}`.as('total'),
      ])
      .orderBy('p.created_at', 'desc')
      .orderBy('p.order_id', 'desc')
      .execute();
    // past the last page there is no row to carry the total
    if (rows.length === 0) return { total: await this.count(partnerId, filters), orders: [], tickets: [], events: [], partners: [] };

    const events = new Map<string, EventRow>();
    const partners = new Map<string, PartnerRow>();
    const orders: OrderRow[] = rows.map((r) => {
      const { e_id, e_org_id, e_title_text, e_title_desc, e_start_at, e_finish_at, e_status, e_timezone, org_pid, org_name, vendor_pid, vendor_name, total: _total, ...order } = r;
      if (e_id !== null && !events.has(e_id)) {
        events.set(e_id, {
          id: e_id,
          org_id: e_org_id!,
          title_text: e_title_text!,
          title_desc: e_title_desc,
          start_at: e_start_at!,
          finish_at: e_finish_at!,
          status: e_status!,
          timezone: e_timezone!,
        });
      }
      // Import guarantees an event's org is its orders' org, so orders alone name every partner in refs.
      if (org_pid !== null) partners.set(org_pid, { id: org_pid, name: org_name! });
      if (vendor_pid !== null) partners.set(vendor_pid, { id: vendor_pid, name: vendor_name! });
      return order;
    });
    const tickets = await this.db
      .selectFrom('tickets')
      .selectAll()
      .where(
        'order_id',
        'in',
        orders.map((o) => o.id),
      )
      .orderBy('order_id')
      .orderBy('position')
      .execute();
    return { total: Number(rows[0]!.total), orders, tickets, events: [...events.values()], partners: [...partners.values()] };
  }
}
