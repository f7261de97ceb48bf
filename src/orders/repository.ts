/**
 * SQL of the orders list. Every query starts from `order_access` filtered by
 * the caller's partner id: the tenant filter lives here, not in callers. The
 * list's statements are NAMED: prepared once per connection on PostgreSQL.
 *
 * The page is read in the form that is faster on each database (measured,
 * docs/DECISIONS.md): SQLite writes each order's and ref's JSON in the
 * statements (OrdersPageJson); from PostgreSQL the rows are read and the
 * service writes the JSON (OrdersPageRows), orders and tickets read as
 * arrays of their columns' values (NAMED_TUPLES).
 */
import { sql, type Compilable, type CompiledQuery, type Kysely, type SelectQueryBuilder } from 'kysely';
import { activeKeys } from '../auth/repository.js';
import { NAMED, NAMED_TUPLES, type Dialect } from '../db/database.js';
import { JsonWriter } from '../db/json.js';
import { throughKysely, type OpenPipeline, type Pipeline } from '../db/pipeline.js';
import { limitValue, oneOf } from '../db/sql.js';
import { StatementCache } from '../db/statements.js';
import type { Database, EventRow, PartnerRow } from '../db/types.js';
import type { JsonText } from '../shared/json.js';
import { ALL_EVENTS, planCount, type CountPlan } from './counts.js';
import type { OrderFilters } from './filters.js';
import { EventMapper, ORDER_AT, ORDER_TUPLE, OrderMapper, PartnerMapper, TICKET_TUPLE, type OrderTuple, type TicketTuple } from './mappers.js';
import type { Event, Order, Partner } from './schemas.js';

/** What every page read holds. */
interface PageCommon {
  total: number;
  /** false when the page was read with a key hash that is no active key of the partner: nothing else read counts */
  keyActive: boolean;
}

/** A page as SQLite writes it: each order's JSON (tickets included) and each ref's. */
export interface OrdersPageJson extends PageCommon {
  form: 'json';
  orders: (RefIds & { json: JsonText<Order> })[];
  events: RefJson<Event>[];
  partners: RefJson<Partner>[];
}

/** An event or partner of the page, as its JSON. */
export interface RefJson<T> {
  id: string;
  json: JsonText<T>;
}

/** A page as read from PostgreSQL: rows; the refs still being read when it is returned. */
export interface OrdersPageRows extends PageCommon {
  form: 'rows';
  orders: OrderTuple[];
  /** the caller can work on the orders meanwhile */
  refs: Promise<PageRefRows>;
}

/** What a page's orders refer to: their tickets (by order, then position), events and partners. */
export interface PageRefRows {
  tickets: TicketTuple[];
  events: EventRow[];
  partners: PartnerRow[];
}

/** A page as the repository reads it, in the form its database is faster with. */
export type PageRead = OrdersPageJson | OrdersPageRows;

/** What an order's refs are found by. */
interface RefIds {
  id: string;
  event_id: string;
  org_id: string;
  vendor_id: string | null;
}

const NO_REFS: Promise<PageRefRows> = Promise.resolve({ tickets: [], events: [], partners: [] });

// Columns named rather than `*`: a named statement's result shape must not
// change under it (PostgreSQL refuses "cached plan must not change result
// type" once a migration adds a column). Orders' and tickets' are the ones
// their mappers write from, in the order of their tuples (mappers.ts).
const ORDER_COLUMNS = ORDER_TUPLE.map((c) => `orders.${c}` as const);
const EVENT_COLUMNS = ['id', 'org_id', 'title_text', 'title_desc', 'start_at', 'finish_at', 'status', 'timezone'] as const;

type AccessQuery = SelectQueryBuilder<Database, 'order_access', object>;

/** The inputs of the list's statements: values only, their shape picks the statement (db/statements.ts). */
interface CountInput {
  partnerId: string;
  filters: OrderFilters;
  plan: CountPlan;
  /** the count statement also answers whether this is an active key of the partner */
  keyHash?: string;
}
interface PageInput {
  partnerId: string;
  filters: OrderFilters;
  limit: number;
  offset: number;
}
/** The count; with a key hash, whether it is an active key of the partner (boolean on PostgreSQL, 0/1 on SQLite). */
interface CountRow {
  n: number | string;
  key_active?: boolean | number;
}
interface IdsInput {
  ids: string[];
}

export class OrdersRepository {
  // The list's statements, compiled once per shape of their input rather than on every request.
  private readonly countStatement: StatementCache<CountInput, CountRow>;
  // SQLite: the page and its refs as JSON
  private readonly pageJsonStatement: StatementCache<PageInput, OrdersPageJson['orders'][number]>;
  private readonly eventsJsonStatement: StatementCache<IdsInput, RefJson<Event>>;
  private readonly partnersJsonStatement: StatementCache<IdsInput, RefJson<Partner>>;
  // PostgreSQL: the page and its refs as rows
  private readonly pageStatement: StatementCache<PageInput, OrderTuple>;
  private readonly ticketsStatement: StatementCache<IdsInput, TicketTuple>;
  private readonly eventsStatement: StatementCache<IdsInput, EventRow>;
  private readonly partnersStatement: StatementCache<IdsInput, PartnerRow>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** how the list's statements run together (Db.pipeline); by default each through `db` */
    private readonly pipeline: OpenPipeline = throughKysely(db),
  ) {
    this.countStatement = new StatementCache((input) => this.countQuery(input));
    const w = new JsonWriter();
    this.pageJsonStatement = new StatementCache((input) =>
      this.pageQuery(input)
        .select(['orders.id', 'orders.event_id', 'orders.org_id', 'orders.vendor_id', w.text(OrderMapper.json(w)).as('json')])
        .modifyFront(NAMED),
    );
    this.eventsJsonStatement = new StatementCache(({ ids }) => this.byIds('events', ids).select(['events.id', w.text(EventMapper.json(w)).as('json')]));
    this.partnersJsonStatement = new StatementCache(({ ids }) =>
      this.byIds('partners', ids).select(['partners.id', w.text(PartnerMapper.json(w)).as('json')]),
    );
    this.pageStatement = new StatementCache((input) => tuples<OrderTuple>(this.pageQuery(input).select(ORDER_COLUMNS)));
    this.ticketsStatement = new StatementCache(({ ids }) =>
      tuples<TicketTuple>(
        this.db
          .selectFrom('tickets')
          .select(TICKET_TUPLE)
          .where((eb) => oneOf(this.dialect, eb.ref('order_id'), ids, 'text'))
          .orderBy('order_id')
          .orderBy('position'),
      ),
    );
    this.eventsStatement = new StatementCache(({ ids }) => this.byIds('events', ids).select(EVENT_COLUMNS.map((c) => `events.${c}` as const)));
    this.partnersStatement = new StatementCache(({ ids }) => this.byIds('partners', ids).select(['partners.id', 'partners.name']));
  }

  /**
   * The page's orders, joined to their rows, newest first. Pages the narrow
   * index first, then joins the wide rows for just the page: a deep OFFSET
   * then skips index entries, not joined orders.
   */
  private pageQuery({ partnerId, filters, limit, offset }: PageInput) {
    return this.db
      .selectFrom(
        this.visible(partnerId, filters)
          .select(['order_access.order_id', 'order_access.created_at'])
          .orderBy('order_access.created_at', 'desc')
          .orderBy('order_access.order_id', 'desc')
          .limit(limitValue(this.dialect, limit))
          .offset(offset)
          .as('p'),
      )
      .innerJoin('orders', 'orders.id', 'p.order_id')
      .orderBy('p.created_at', 'desc')
      .orderBy('p.order_id', 'desc');
  }

  /** Events or partners by id (a page's refs). */
  private byIds(table: 'events' | 'partners', ids: string[]) {
    return this.db
      .selectFrom(table)
      .where((eb) => oneOf(this.dialect, eb.ref('id'), ids, 'text'))
      .modifyFront(NAMED);
  }

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
   * The statement of the exact number of visible orders matching the
   * filters: the pre-aggregated buckets of the whole months in the range
   * plus an exact count of the partial months at its edges (counts.ts).
   */
  private count(partnerId: string, filters: OrderFilters, keyHash: string | undefined): CompiledQuery<CountRow> {
    return this.countStatement.compile({ partnerId, filters, plan: planCount(filters.createdFrom, filters.createdTo), keyHash });
  }

  private countQuery({ partnerId, filters, plan, keyHash }: CountInput) {
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
    const count = this.db.selectNoFrom(sql<number | string>`${sql.join(parts, sql` + `)}`.as('n'));
    // the key check of ApiKeysService.readAs, in a statement the list runs anyway
    return (
      keyHash === undefined
        ? count
        : count.select((eb) => eb.exists(activeKeys(this.db, keyHash).select('api_keys.id').where('api_keys.partner_id', '=', partnerId)).as('key_active'))
    ).modifyFront(NAMED);
  }

  /**
   * One page of orders, newest first, with everything the response refers
   * to, in two batches on one connection (db/pipeline.ts: pipelined on
   * PostgreSQL): the total and the page, then the page's refs.
   * SQLite: each order's JSON holds its tickets (a correlated subquery on
   * tickets_order); then events and partners. PostgreSQL: tickets, events
   * and partners (measured: one statement joining the refs into the page
   * plans ~0.7 ms slower than these small lookups; docs/BENCHMARKS.md). The
   * rows page is returned as soon as its orders are read and the refs'
   * statements are sent, with the refs still on their way (`refs`). With
   * `keyHash`, the count statement also confirms that it is an active key
   * of the partner (ApiKeysService.readAs): `keyActive`.
   */
  async page(partnerId: string, filters: OrderFilters, limit: number, offset: number | null, keyHash?: string): Promise<PageRead> {
    const input = { partnerId, filters, limit, offset: offset ?? 0 };
    const count = this.count(partnerId, filters, keyHash);
    const pipeline = await this.pipeline();
    // the connection goes back when the refs are answered, if they are sent
    let refsSent = false;
    try {
      if (this.dialect === 'sqlite') {
        const [counted, orders] = await countAndPage(pipeline, count, offset === null ? null : this.pageJsonStatement.compile(input), keyHash);
        // an unconfirmed key: nothing more is read, nothing read is returned
        if (orders.length === 0 || !counted.keyActive) return { form: 'json', ...counted, orders: [], events: [], partners: [] };
        const { eventIds, partnerIds } = refIds(orders, sqliteRefs);
        const [events, partners] = await pipeline.run([
          this.eventsJsonStatement.compile({ ids: eventIds }),
          this.partnersJsonStatement.compile({ ids: partnerIds }),
        ] as const);
        return { form: 'json', ...counted, orders, events, partners };
      }
      const [counted, orders] = await countAndPage(pipeline, count, offset === null ? null : this.pageStatement.compile(input), keyHash);
      if (orders.length === 0 || !counted.keyActive) return { form: 'rows', ...counted, orders: [], refs: NO_REFS };
      const { eventIds, partnerIds } = refIds(orders, tupleRefs);
      const refs = pipeline
        .run([
          this.ticketsStatement.compile({ ids: orders.map((o) => o[ORDER_AT.id]) }),
          this.eventsStatement.compile({ ids: eventIds }),
          this.partnersStatement.compile({ ids: partnerIds }),
        ] as const)
        .then(([tickets, events, partners]) => ({ tickets, events, partners }));
      refsSent = true;
      const release = () => pipeline.release();
      // awaited by the caller; the rejection handler also keeps a failure meanwhile from counting as unhandled
      void refs.then(release, release);
      return { form: 'rows', ...counted, orders, refs };
    } finally {
      if (!refsSent) pipeline.release();
    }
  }
}

/** The total (and whether the key is active) and the page's rows; no page statement when `page` is null (past the last page). */
async function countAndPage<R>(
  pipeline: Pipeline,
  count: CompiledQuery<CountRow>,
  page: CompiledQuery<R> | null,
  keyHash: string | undefined,
): Promise<[PageCommon, R[]]> {
  const [[row], rows] = page === null ? [(await pipeline.run([count] as const))[0], []] : await pipeline.run([count, page] as const);
  // numeric (a string) on PostgreSQL when the buckets take part
  return [{ total: Number(row!.n), keyActive: keyHash === undefined || Boolean(row!.key_active) }, rows];
}

/**
 * A statement marked NAMED_TUPLES, typed as its rows come from PostgreSQL:
 * arrays of the selected columns' values (T, a mappers.ts tuple, lists them
 * in the same order).
 */
function tuples<T>(query: { modifyFront(modifier: typeof NAMED_TUPLES): Compilable<unknown> }): Compilable<T> {
  return query.modifyFront(NAMED_TUPLES) as Compilable<T>;
}

/** An order's event, org and vendor, read from the form a page holds it in. */
type RefsOf<R> = (order: R) => readonly [event: string, org: string, vendor: string | null];
const sqliteRefs: RefsOf<RefIds> = (o) => [o.event_id, o.org_id, o.vendor_id];
const tupleRefs: RefsOf<OrderTuple> = (o) => [o[ORDER_AT.event_id], o[ORDER_AT.org_id], o[ORDER_AT.vendor_id]];

/** The events and partners a page's orders refer to. */
function refIds<R>(orders: readonly R[], refsOf: RefsOf<R>): { eventIds: string[]; partnerIds: string[] } {
  const events = new Set<string>();
  const partners = new Set<string>();
  for (const order of orders) {
    const [event, org, vendor] = refsOf(order);
    events.add(event);
    // Import guarantees an event's org is its orders' org, so orders alone name every partner in refs.
    partners.add(org);
    if (vendor !== null) partners.add(vendor);
  }
  return { eventIds: [...events], partnerIds: [...partners] };
}
