// The raw-SQL floor of the list benchmark: the list's answer (total, page of
// orders, their tickets, events and partners) by hand-written SQL straight
// through pg / better-sqlite3. Used by bench/list.mjs, bench/breakdown.mjs and bench/cpu-split.mjs.
// A query q is { where (on order_access), cwhere (on order_counts), size, page }.
import { JsonWriter } from '../dist/db/json.js';
import { EventMapper, OrderMapper, PartnerMapper } from '../dist/orders/mappers.js';
import { planCount } from '../dist/orders/counts.js';
import { parseOrderFilters, parsePaging } from '../dist/orders/filters.js';

export const HEX24 = /^[0-9a-f]{24}$/;
export const lit = (id) => {
  if (!HEX24.test(id)) throw new Error(`unexpected id ${id}`);
  return `'${id}'`;
};
export const inList = (ids) => ids.map(lit).join(',');

export const countSql = (q) => `SELECT coalesce(sum(n), 0) AS n FROM order_counts WHERE ${q.cwhere}`;
export const pageSql = (q) =>
  `SELECT o.* FROM (SELECT order_id, created_at FROM order_access WHERE ${q.where} ` +
  `ORDER BY created_at DESC, order_id DESC LIMIT ${q.size} OFFSET ${(q.page - 1) * q.size}) p ` +
  `JOIN orders o ON o.id = p.order_id ORDER BY p.created_at DESC, p.order_id DESC`;
/** The page with the total and each order's event and partners joined in: one statement. */
export const joinedSql = (q) =>
  `SELECT o.*, e.id AS e_id, e.org_id AS e_org_id, e.title_text AS e_title_text, e.title_desc AS e_title_desc, ` +
  `e.start_at AS e_start_at, e.finish_at AS e_finish_at, e.status AS e_status, e.timezone AS e_timezone, ` +
  `org.id AS org_pid, org.name AS org_name, v.id AS vendor_pid, v.name AS vendor_name, (${countSql(q)}) AS total ` +
  `FROM (SELECT order_id, created_at FROM order_access WHERE ${q.where} ` +
  `ORDER BY created_at DESC, order_id DESC LIMIT ${q.size} OFFSET ${(q.page - 1) * q.size}) p ` +
  `JOIN orders o ON o.id = p.order_id LEFT JOIN events e ON e.id = o.event_id ` +
  `LEFT JOIN partners org ON org.id = o.org_id LEFT JOIN partners v ON v.id = o.vendor_id ` +
  `ORDER BY p.created_at DESC, p.order_id DESC`;
/** Splits joined rows into orders, events and partners (each once). */
export function splitJoined(rows) {
  const events = new Map();
  const partners = new Map();
  const orders = rows.map((r) => {
    const { e_id, e_org_id, e_title_text, e_title_desc, e_start_at, e_finish_at, e_status, e_timezone, org_pid, org_name, vendor_pid, vendor_name, ...o } = r;
    delete o.total;
    if (e_id !== null) events.set(e_id, { id: e_id, org_id: e_org_id, title_text: e_title_text, title_desc: e_title_desc, start_at: e_start_at, finish_at: e_finish_at, status: e_status, timezone: e_timezone });
    if (org_pid !== null) partners.set(org_pid, { id: org_pid, name: org_name });
    if (vendor_pid !== null) partners.set(vendor_pid, { id: vendor_pid, name: vendor_name });
    return o;
  });
  return { total: rows.length ? Number(rows[0].total) : null, orders, events: [...events.values()], partners: [...partners.values()] };
}
/**
 * The floor's query (bench/list.mjs's form: `where` on order_access, `cwhere`
 * on order_counts, `size`, `page`) for the API's query parameters, parsed by
 * the API's own parsers. A `created_at` range must be whole UTC months: the
 * floor then counts from the month buckets alone, as bench/list.mjs's does.
 * Used by bench/breakdown.mjs and bench/cpu-split.mjs.
 */
export function floorQuery(partner, query) {
  const errors = [];
  const { filters } = parseOrderFilters(query, errors);
  const { page, pageSize } = parsePaging(query, errors);
  if (errors.length) throw new Error(errors.join('; '));
  if (planCount(filters.createdFrom, filters.createdTo).exact.length > 0) {
    throw new Error('only created_at ranges of whole UTC months are written into the floor');
  }
  const statuses = filters.statuses && `status IN (${filters.statuses.map((st) => `'${st}'`).join(',')})`;
  const range = (column) => [
    filters.createdFrom !== undefined && `${column} >= ${filters.createdFrom}`,
    filters.createdTo !== undefined && `${column} < ${filters.createdTo}`,
  ];
  const P = `partner_id = ${lit(partner)}`;
  const and = (parts) => parts.filter(Boolean).join(' AND ');
  return {
    filters,
    q: {
      where: and([P, ...range('created_at'), statuses, filters.events && `event_id IN (${inList(filters.events)})`, filters.onlyWithCustomer && 'has_customer = 1']),
      cwhere: and([P, `event_id IN (${filters.events ? inList(filters.events) : "''"})`, ...range('month'), statuses, filters.onlyWithCustomer && 'has_customer = 1']),
      size: pageSize,
      page,
    },
  };
}

/** The ids a page's refs are found by; `col(order, name)` reads a column (rows as objects by default). */
export const refIds = (orders, col = (o, c) => o[c]) => ({
  orderIds: orders.map((o) => col(o, 'id')),
  eventIds: [...new Set(orders.map((o) => col(o, 'event_id')))],
  partnerIds: [...new Set(orders.flatMap((o) => (col(o, 'vendor_id') === null ? [col(o, 'org_id')] : [col(o, 'org_id'), col(o, 'vendor_id')])))],
});

/**
 * The floor's two PostgreSQL pools (`pgFloor`'s arguments): plain (at most
 * `max` connections), and `shared` pipelined connections. Their connections
 * plan no Memoize, as the API's lists pool does (src/db/database.ts): the
 * page's join by order id can never hit that cache, and without it the page
 * statement costs the backend ~20% less.
 */
export function pgFloorPools(pg, connectionString, max) {
  const options = '-c enable_memoize=off';
  return [new pg.Pool({ connectionString, max, options }), sharedClients(pg, { connectionString, options, pipeline: true }, SHARED)];
}

/** Pipelined connections the floor's concurrent loops share, as many as each API process shares (src/db/database.ts). */
const SHARED = 2;

/**
 * At most `size` clients made with `config` (pg's `pipeline` option), which
 * concurrent callers share as the API's list pipelines do: connect() hands
 * out the one with the fewest callers, opening another only while every
 * open one is in use; several callers' statements then wait in one socket
 * and one backend wake-up answers them. Pool-like: connect(), then
 * `connection`, query() and release() on what it returns; end().
 */
function sharedClients(pg, config, size) {
  const clients = [];
  return {
    async connect() {
      let c = clients.reduce((best, x) => (best === undefined || x.users < best.users ? x : best), undefined);
      if (c === undefined || (c.users > 0 && clients.length < size)) {
        const client = new pg.Client(config);
        clients.push((c = { client, users: 0, ready: client.connect() }));
      }
      c.users++;
      await c.ready;
      return { connection: c.client.connection, query: (q) => c.client.query(q), release: () => void c.users-- };
    },
    end: () => Promise.all(clients.splice(0).map((c) => c.client.end())),
  };
}

/**
 * PostgreSQL, six ways; the fastest (by sequential p50) is the floor.
 *  rows:   count ‖ page (two connections), then tickets + events + partners in one
 *          round trip (three statements in one simple-protocol query).
 *  prepared: rows as named prepared statements (count ‖ page, then the three refs ‖).
 *  arrays: prepared, every row read as an array of values (pg's rowMode 'array',
 *          as the API reads orders and tickets): no object per row.
 *  joined: the page with the total, events and partners joined in, then the tickets.
 *  json:   count ‖ one statement returning the page and its refs as json_agg columns.
 *  pipelined: arrays, with count and page, then the three refs, each pair or
 *          trio pipelined on one connection (`pipelinedPool`: connections made
 *          with pg's `pipeline` option, which concurrent calls share, as the
 *          API's do) and written in one send (the socket corked): one backend
 *          woken per round trip, not one per statement; under concurrency one
 *          wake-up for several calls' statements.
 */
export function pgFloor(pool, pipelinedPool) {
  let named = 0;
  const names = new Map();
  /** A named (prepared) statement: parsed and planned once per connection, then reused. */
  const prepared = (text, values) => {
    if (!names.has(text)) names.set(text, `floor_${++named}`);
    return { name: names.get(text), text, values };
  };
  /** The literals of a where clause as parameters: `partner_id = 'ab…'` → `partner_id = $1`, ['ab…']. */
  const parameterise = (where, values) =>
    where.replace(/'([^']*)'/g, (_m, v) => {
      values.push(v);
      return `$${values.length}`;
    });
  /** count ‖ page, then the page's refs (`refs` fetches tickets, events, partners by their ids). */
  const pageThenRefs = (count, page, refs) => async () => {
    const [cr, pr] = await Promise.all([pool.query(count), pool.query(page)]);
    const orders = pr.rows;
    const total = Number(cr.rows[0].n);
    if (orders.length === 0) return { total, orders, tickets: [], events: [], partners: [] };
    const [t, e, pa] = await refs(refIds(orders));
    return { total, orders, tickets: t.rows, events: e.rows, partners: pa.rows };
  };
  /**
   * The `prepared` variant's statements for q, each with `mode` added (pg's
   * rowMode): count and page with the where clause's literals as
   * parameters; the refs by = ANY($1) so that one statement serves every
   * page size.
   */
  const preparedStatements = (q, mode = {}) => {
    const cv = [];
    const pv = [];
    return {
      count: { ...prepared(countSql({ ...q, cwhere: parameterise(q.cwhere, cv) }), cv), ...mode },
      page: { ...prepared(pageSql({ ...q, where: parameterise(q.where, pv) }), pv), ...mode },
      refs: ({ orderIds, eventIds, partnerIds }, on = pool) =>
        Promise.all([
          on.query({ ...prepared('SELECT * FROM tickets WHERE order_id = ANY($1) ORDER BY order_id, position', [orderIds]), ...mode }),
          on.query({ ...prepared('SELECT * FROM events WHERE id = ANY($1)', [eventIds]), ...mode }),
          on.query({ ...prepared('SELECT * FROM partners WHERE id = ANY($1)', [partnerIds]), ...mode }),
        ]),
    };
  };
  /** The statements `send` queues, written in one send (pg writes each as it is queued on a pipelined client). */
  const corked = (client, send) => {
    const socket = client.connection.stream;
    socket.cork();
    try {
      return Promise.all(send());
    } finally {
      socket.uncork();
    }
  };
  /** The `arrays` variant's reading of rows: the total, the page's rows and their column positions. */
  const arrayPage = (cr, pr) => {
    const at = {};
    pr.fields.forEach((f, i) => (at[f.name] = i));
    const rows = pr.rows;
    // read only by the check that the floor computed the API's page, not timed
    const orders = { map: (f) => rows.map((r) => f({ id: r[at.id] })), get length() { return rows.length; } };
    return { total: Number(cr.rows[0][0]), rows, at, orders };
  };
  // events and partners have id as their first column; for the same check
  const arrayIds = (r) => ({ map: (f) => r.rows.map((x) => f({ id: x[0] })) });
  const variants = {
    // rows, as named statements with parameters: no parse and (after PostgreSQL's
    // first executions) no planning per request
    prepared: (q) => {
      const { count, page, refs } = preparedStatements(q);
      return pageThenRefs(count, page, refs);
    },
    arrays: (q) => {
      const { count, page, refs } = preparedStatements(q, { rowMode: 'array' });
      return async () => {
        const { total, rows, at, orders } = arrayPage(...(await Promise.all([pool.query(count), pool.query(page)])));
        if (rows.length === 0) return { total, orders, tickets: [], events: [], partners: [] };
        const [t, e, pa] = await refs(refIds(rows, (r, c) => r[at[c]]));
        return { total, orders, tickets: t.rows, events: arrayIds(e), partners: arrayIds(pa) };
      };
    },
    ...(pipelinedPool && {
      pipelined: (q) => {
        const { count, page, refs } = preparedStatements(q, { rowMode: 'array' });
        return async () => {
          const client = await pipelinedPool.connect();
          try {
            const { total, rows, at, orders } = arrayPage(...(await corked(client, () => [client.query(count), client.query(page)])));
            if (rows.length === 0) return { total, orders, tickets: [], events: [], partners: [] };
            const [[t, e, pa]] = await corked(client, () => [refs(refIds(rows, (r, c) => r[at[c]]), client)]);
            return { total, orders, tickets: t.rows, events: arrayIds(e), partners: arrayIds(pa) };
          } finally {
            client.release();
          }
        };
      },
    }),
    rows: (q) =>
      pageThenRefs(countSql(q), pageSql(q), ({ orderIds, eventIds, partnerIds }) =>
        pool.query(
          `SELECT * FROM tickets WHERE order_id IN (${inList(orderIds)}) ORDER BY order_id, position;` +
            `SELECT * FROM events WHERE id IN (${inList(eventIds)});` +
            `SELECT * FROM partners WHERE id IN (${inList(partnerIds)})`,
        ),
      ),
    joined: (q) => {
      const j = joinedSql(q);
      const c = countSql(q);
      return async () => {
        const page = splitJoined((await pool.query(j)).rows);
        if (page.orders.length === 0) return { ...page, total: Number((await pool.query(c)).rows[0].n), tickets: [] };
        const t = await pool.query(`SELECT * FROM tickets WHERE order_id IN (${inList(page.orders.map((o) => o.id))}) ORDER BY order_id, position`);
        return { ...page, tickets: t.rows };
      };
    },
    json: (q) => {
      const c = countSql(q);
      const j =
        `WITH p AS MATERIALIZED (SELECT order_id, created_at FROM order_access WHERE ${q.where} ` +
        `ORDER BY created_at DESC, order_id DESC LIMIT ${q.size} OFFSET ${(q.page - 1) * q.size}), ` +
        `o AS MATERIALIZED (SELECT o.* FROM p JOIN orders o ON o.id = p.order_id) SELECT ` +
        `(SELECT coalesce(json_agg(o ORDER BY o.created_at DESC, o.id DESC), '[]') FROM o) AS orders, ` +
        `(SELECT coalesce(json_agg(t ORDER BY t.order_id, t.position), '[]') FROM tickets t WHERE t.order_id IN (SELECT id FROM o)) AS tickets, ` +
        `(SELECT coalesce(json_agg(e), '[]') FROM events e WHERE e.id IN (SELECT event_id FROM o)) AS events, ` +
        `(SELECT coalesce(json_agg(pa), '[]') FROM partners pa WHERE pa.id IN (SELECT org_id FROM o UNION SELECT vendor_id FROM o)) AS partners`;
      return async () => {
        const [cr, jr] = await Promise.all([pool.query(c), pool.query(j)]);
        const { orders, tickets, events, partners } = jr.rows[0];
        return { total: Number(cr.rows[0].n), orders, tickets, events, partners };
      };
    },
  };
  return variants;
}

/**
 * SQLite, two ways; the fastest (by sequential p50) is the floor.
 *  rows: count, page, then tickets, events and partners (rows as objects).
 *  json: count, the page with each order's JSON written by SQLite (its
 *        tickets in it), then events' and partners' JSON: the SQL text of
 *        the API's JSON writer (src/db/json.ts), prepared once and run
 *        straight through better-sqlite3.
 * Prepared once; synchronous, so the statements run one after another.
 */
export function sqliteFloor(db) {
  const byArity = new Map();
  const prepIn = (kind, n) => {
    const key = `${kind}:${n}`;
    let st = byArity.get(key);
    if (!st) {
      const marks = Array(n).fill('?').join(',');
      const sql =
        kind === 'tickets'
          ? `SELECT * FROM tickets WHERE order_id IN (${marks}) ORDER BY order_id, position`
          : `SELECT * FROM ${kind} WHERE id IN (${marks})`;
      byArity.set(key, (st = db.prepare(sql)));
    }
    return st;
  };
  const w = new JsonWriter();
  const eventJson = EventMapper.json(w);
  const partnerJson = PartnerMapper.json(w);
  const inMarks = (n) => Array(n).fill('?').join(',');
  const refJson = (table, json, n) => db.prepare(`SELECT id, ${w.sql(json)} AS json FROM ${table} WHERE id IN (${inMarks(n)})`);
  const jsonRefs = new Map();
  const prepRefJson = (table, json, n) => {
    const key = `${table}:${n}`;
    if (!jsonRefs.has(key)) jsonRefs.set(key, refJson(table, json, n));
    return jsonRefs.get(key);
  };
  return {
    json: (q) => {
      const count = db.prepare(countSql(q));
      const page = db.prepare(
        `SELECT orders.id, orders.event_id, orders.org_id, orders.vendor_id, ${w.sql(OrderMapper.json(w))} AS json ` +
          `FROM (SELECT order_id, created_at FROM order_access WHERE ${q.where} ` +
          `ORDER BY created_at DESC, order_id DESC LIMIT ${q.size} OFFSET ${(q.page - 1) * q.size}) p ` +
          `JOIN orders ON orders.id = p.order_id ORDER BY p.created_at DESC, p.order_id DESC`,
      );
      return () => {
        const total = Number(count.get().n);
        const orders = page.all();
        // read only by the check that the floor computed the API's page, not timed
        const tickets = { get length() { return orders.reduce((s, o) => s + JSON.parse(o.json).tickets.length, 0); } };
        if (orders.length === 0) return { total, orders, tickets, events: [], partners: [] };
        const { eventIds, partnerIds } = refIds(orders);
        const events = prepRefJson('events', eventJson, eventIds.length).all(eventIds);
        const partners = prepRefJson('partners', partnerJson, partnerIds.length).all(partnerIds);
        return { total, orders, tickets, events, partners };
      };
    },
    joined: (q) => {
      const joined = db.prepare(joinedSql(q));
      const count = db.prepare(countSql(q));
      return () => {
        const page = splitJoined(joined.all());
        if (page.orders.length === 0) return { ...page, total: Number(count.get().n), tickets: [] };
        const ids = page.orders.map((o) => o.id);
        return { ...page, tickets: prepIn('tickets', ids.length).all(ids) };
      };
    },
    rows: (q) => {
      const count = db.prepare(countSql(q));
      const page = db.prepare(pageSql(q));
      return () => {
        const total = Number(count.get().n);
        const orders = page.all();
        if (orders.length === 0) return { total, orders, tickets: [], events: [], partners: [] };
        const { orderIds, eventIds, partnerIds } = refIds(orders);
        const tickets = prepIn('tickets', orderIds.length).all(orderIds);
        const events = prepIn('events', eventIds.length).all(eventIds);
        const partners = prepIn('partners', partnerIds.length).all(partnerIds);
        return { total, orders, tickets, events, partners };
      };
    },
  };
}
