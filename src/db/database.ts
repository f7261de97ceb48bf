import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { throughKysely, type OpenPipeline, type RowsOf } from './pipeline.js';
import type { Database } from './types.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  /**
   * For the list's statements, all NAMED, read-only and single. On
   * PostgreSQL a pool of its own whose connections run every prepared
   * statement with its generic plan from the first execution and plan no
   * Memoize (listsPlanning below says why), each statement on a
   * connection checked out for it alone (statementPerCheckout: no
   * transactions there); on SQLite `kysely`.
   */
  readonly lists: Kysely<Database>;
  /**
   * The list's statements run together (db/pipeline.ts): on PostgreSQL
   * pipelined on one of a few connections that concurrent requests share,
   * planned as the lists pool's (sharedPipelines); on SQLite through
   * `lists`, one after another.
   */
  readonly pipeline: OpenPipeline;
  readonly dialect: Dialect;
  /** the DATABASE_URL it was opened from (a second connection may be opened to it) */
  readonly url: string;
  close(): Promise<void>;
}

// int8 (COUNT(*), bigint columns) comes back as a string by default; every
// bigint we store (seconds, minor units, order numbers) fits in 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  throw new Error(`unsupported DATABASE_URL scheme: ${url.split(':')[0]}`);
}

/** `sqlite:./data/kassa.db`, `sqlite:/abs/path.db`, `sqlite::memory:` */
export function sqlitePath(url: string): string {
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  return path === ':memory:' ? path : resolve(path);
}

export function openSqlite(url: string, options: { readonly?: boolean } = {}): SQLite.Database {
  const path = sqlitePath(url);
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new SQLite(path, { readonly: options.readonly ?? false });
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * The database as Kysely's SQLite driver sees it, keeping prepared statements
 * by SQL text (least recently used out past `size`): the driver prepares each
 * query anew, which was ~5% of a list request's CPU. A statement still being
 * iterated (a stream) is busy and is not handed out twice.
 */
function keepingStatements(database: SQLite.Database, size = 256): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      statements.delete(text);
      if (!statement || statement.busy) statement = database.prepare(text);
      statements.set(text, statement);
      if (statements.size > size) statements.delete(statements.keys().next().value as string);
      return statement;
    },
  };
}

/**
 * Marks a statement to be sent as a named (prepared) statement on
 * PostgreSQL: `query.modifyFront(NAMED)`. Used for the list's hot statements.
 */
export const NAMED = sql.raw('/* named */');
const NAMED_PREFIX = 'select /* named */';
/**
 * NAMED, and on PostgreSQL the rows come back as arrays of the selected
 * columns' values in order (pg's rowMode 'array'; type them with
 * db/columns.ts `Tuple`). For the list's big reads (orders and tickets):
 * pg builds no object per row (docs/DECISIONS.md). SQLite ignores it and
 * returns objects, so only PostgreSQL's code path may use it.
 */
export const NAMED_TUPLES = sql.raw('/* named tuples */');
const TUPLES_PREFIX = 'select /* named tuples */';

/** pg's query config for a statement's text and parameters (queryConfigs). */
type QueryConfigs = (text: string, parameters: readonly unknown[]) => pg.QueryConfig | pg.QueryArrayConfig;

/**
 * The pool as Kysely's PostgreSQL driver sees it, sending the statements
 * marked NAMED as named statements: PostgreSQL then parses each once per
 * connection and may keep a generic plan after its first executions, instead
 * of parsing and planning it on every request (bench/floor.mjs, 'prepared').
 * pg keeps a connection's named statements for the connection's life, so
 * only the first `max` distinct texts get a name (queryConfigs); later ones
 * run unnamed.
 * Only marked statements: a named `select *` would fail once a migration
 * changed its table ("cached plan must not change result type").
 */
function namingStatements(pool: pg.Pool, configOf: QueryConfigs): PostgresPool {
  // Kysely keys its connections by client object: one wrapper per pg client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((textOrCursor: string | PostgresCursor<unknown>, parameters: readonly unknown[] = []) => {
      if (typeof textOrCursor !== 'string') return client.query(textOrCursor as unknown as pg.Submittable);
      return client.query(configOf(textOrCursor, parameters));
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) wrappers.set(client, (wrapper = wrap(client)));
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * pg's query config for a statement: NAMED and NAMED_TUPLES texts get a
 * name, the first `max` distinct ones (the rest run unnamed); NAMED_TUPLES
 * ones read their rows as arrays.
 */
function queryConfigs(max = 256): QueryConfigs {
  const names = new Map<string, string>();
  return (text, parameters) => {
    const tuples = text.startsWith(TUPLES_PREFIX);
    const config: pg.QueryConfig | pg.QueryArrayConfig = tuples ? { text, values: [...parameters], rowMode: 'array' } : { text, values: [...parameters] };
    if (!tuples && !text.startsWith(NAMED_PREFIX)) return config;
    let name = names.get(text);
    if (name === undefined && names.size < max) names.set(text, (name = `kassa_${names.size + 1}`));
    return name === undefined ? config : { ...config, name };
  };
}

// Kysely's transaction statements: a transaction needs one connection for all of its statements.
const TRANSACTION_CONTROL = /^\s*(begin|start transaction|commit|rollback|savepoint|release)\b/i;

/**
 * The lists pool as Kysely's PostgreSQL driver sees it: each statement is
 * sent by pool.query(), which checks a connection out for that statement
 * alone (NAMED ones named by queryConfigs, as in namingStatements); the
 * "connection" Kysely acquires is the pool itself. Measured against checking a client out and
 * querying it (what Kysely's driver does): at c=16 the process spent ~0.25 ms
 * less CPU per list request and answered ~20% more (garbage collection 6%
 * of its time instead of 14%; docs/DECISIONS.md). Single statements only:
 * statements of one transaction, or a cursor, could land on different
 * connections, so they are refused.
 */
function statementPerCheckout(pool: pg.Pool, configOf: QueryConfigs): PostgresPool {
  const client: PostgresPoolClient = {
    query: ((textOrCursor: string | PostgresCursor<unknown>, parameters: readonly unknown[] = []) => {
      if (typeof textOrCursor !== 'string') throw new Error('db.lists runs single statements: no cursors');
      if (TRANSACTION_CONTROL.test(textOrCursor)) throw new Error('db.lists runs single statements: no transactions');
      return pool.query(configOf(textOrCursor, parameters));
    }) as unknown as PostgresPoolClient['query'],
    release: () => undefined,
  };
  return { connect: async () => client, end: () => pool.end() };
}

/** A connection the list's pipelines share (sharedPipelines). */
interface Shared {
  client: pg.Client;
  ready: Promise<unknown>;
  /** pipelines checked out on it and not yet released */
  open: number;
  /** when its last pipeline was released (the idle sweep closes it after a while) */
  idleSince: number;
  /** taken out of use (a batch on it failed, it broke, or it idled): closed once its open pipelines are released */
  retired: boolean;
  ended: boolean;
}

/** An idle shared connection is closed after this long (pg.Pool's default idle timeout). */
const SHARED_IDLE_MS = 10_000;
/** A shared connection not ready after this long fails (its pipelines with it) and is dropped. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How the list's shared connections show in pg_stat_activity. */
export const LISTS_APPLICATION_NAME = 'kassa lists';

/**
 * Pipelines on at most `size` connections in use (and retired ones until
 * their pipelines are released) that concurrent requests share (made by
 * `connect` with pg's `pipeline` option): a batch's statements
 * (NAMED ones named by queryConfigs) are written while the socket is
 * corked — one send — and pg sends each with a Sync of its own, so a
 * failing statement fails alone. Each pipeline goes on the connection with
 * the fewest open pipelines; another connection is opened only when every
 * open one is in use. Under load several requests' batches then wait in one
 * socket, and one wake-up of the backend (and of this process) serves them
 * all, where a connection per request woke a backend per batch
 * (docs/DECISIONS.md: the API answered 9–15% more list requests at
 * concurrency 16, with 8–11% less CPU per request).
 * The price: a slow statement delays the batches queued behind it on its
 * connection. A connection on which a batch failed, or that broke, takes no
 * new pipelines and is closed once its open ones are released (a named
 * statement that fails after a migration fails on that connection only).
 * Idle connections are closed after `idleMs` (to 1.5 × that: the sweep
 * runs every half of it).
 */
function sharedPipelines(
  connect: () => pg.Client,
  size: number,
  idleMs: number,
  configOf: QueryConfigs,
): { open: OpenPipeline; end(): Promise<void> } {
  const connections: Shared[] = [];
  let sweeper: NodeJS.Timeout | undefined;
  let closed = false;
  const endIfDone = (c: Shared) => {
    if (!c.retired || c.open > 0 || c.ended) return;
    c.ended = true;
    c.client.end().catch(() => undefined);
  };
  const retire = (c: Shared) => {
    c.retired = true;
    const at = connections.indexOf(c);
    if (at >= 0) connections.splice(at, 1);
    endIfDone(c);
  };
  const sweep = () => {
    const now = Date.now();
    for (const c of [...connections]) if (c.open === 0 && now - c.idleSince >= idleMs) retire(c);
    if (connections.length === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const add = (): Shared => {
    const client = connect();
    const c: Shared = { client, ready: client.connect(), open: 0, idleSince: 0, retired: false, ended: false };
    // A broken connection (server restart) must not crash the process; its
    // statements fail through the normal path and it takes no new ones.
    client.on('error', () => retire(c));
    client.on('end', () => {
      c.ended = true;
      retire(c);
    });
    connections.push(c);
    sweeper ??= setInterval(sweep, idleMs / 2).unref();
    return c;
  };
  const pick = (): Shared => {
    let best: Shared | undefined;
    for (const c of connections) if (best === undefined || c.open < best.open) best = c;
    return best === undefined || (best.open > 0 && connections.length < size) ? add() : best;
  };
  const open: OpenPipeline = async () => {
    if (closed) throw new Error('the database is closed');
    const c = pick();
    c.open++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      c.open--;
      c.idleSince = Date.now();
      endIfDone(c);
    };
    try {
      await c.ready;
    } catch (err) {
      retire(c);
      release();
      throw err;
    }
    return {
      async run<T extends readonly CompiledQuery<unknown>[]>(statements: T): Promise<RowsOf<T>> {
        const configs = statements.map((s) => configOf(s.sql, s.parameters) as pg.QueryConfig);
        const socket = c.client.connection.stream;
        let sent: Promise<pg.QueryResult>[];
        socket.cork();
        try {
          // pipelined: each statement is written as it is queued
          sent = configs.map((config) => c.client.query(config));
        } finally {
          socket.uncork();
        }
        const answered = await Promise.allSettled(sent);
        for (const a of answered) {
          if (a.status !== 'rejected') continue;
          retire(c);
          throw a.reason instanceof Error ? a.reason : new Error(String(a.reason));
        }
        return answered.map((a) => (a as PromiseFulfilledResult<pg.QueryResult>).value.rows) as RowsOf<T>;
      },
      release,
    };
  };
  return {
    open,
    end: async () => {
      closed = true;
      clearInterval(sweeper);
      const all = connections.splice(0);
      await Promise.all(
        all.map(async (c) => {
          c.retired = c.ended = true;
          await c.client.end().catch(() => undefined);
        }),
      );
    },
  };
}

/** Connections a process's list pipelines share (sharedPipelines; docs/DECISIONS.md says why two). */
const LIST_CONNECTIONS = 2;

export function openDb(
  url: string,
  options: { poolSize?: number; readonly?: boolean; namedStatements?: number; listConnections?: number; listIdleMs?: number } = {},
): Db {
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    const database = openSqlite(url, { readonly: options.readonly ?? false });
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: keepingStatements(database) }) });
    return { kysely, lists: kysely, pipeline: throughKysely(kysely), dialect, url, close: () => kysely.destroy() };
  }
  const poolOf = (config: pg.PoolConfig) => {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, ...config });
    // An idle client's error (server restart) must not crash the process; the
    // next query reports it through the normal path.
    pool.on('error', () => undefined);
    return pool;
  };
  // pg-cursor lets Kysely's .stream() read big results in chunks (exports).
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: namingStatements(poolOf({}), queryConfigs(options.namedStatements)), cursor: Cursor }) });
  // pg opens a pool's connections when first needed: none for a process that lists nothing (as do the pipelines)
  const listsPool = poolOf({ options: listsPlanning });
  // one naming for both: a text has one name whichever connection it is prepared on
  const listsConfigs = queryConfigs(options.namedStatements);
  const pipelines = sharedPipelines(
    // A connect that hangs would hold up every request that picked the
    // connection (about half of them while the first is still connecting).
    () =>
      new pg.Client({
        connectionString: url,
        options: listsPlanning,
        pipeline: true,
        application_name: LISTS_APPLICATION_NAME,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      }),
    options.listConnections ?? LIST_CONNECTIONS,
    options.listIdleMs ?? SHARED_IDLE_MS,
    listsConfigs,
  );
  const lists = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: statementPerCheckout(listsPool, listsConfigs) }),
  });
  return {
    kysely,
    lists,
    pipeline: pipelines.open,
    dialect,
    url,
    close: async () => {
      await Promise.all([kysely.destroy(), lists.destroy(), pipelines.end()]);
    },
  };
}

/**
 * The lists pool's connection settings (docs/DECISIONS.md).
 * plan_cache_mode: a prepared statement with parameters is planned for its
 * values (a custom plan) on its first five executions; after that
 * PostgreSQL keeps one generic plan only if it does not look costlier than
 * those. With LIMIT and OFFSET as parameters the generic plan must assume a
 * tenth of the rows are wanted, looks far costlier, and the page statement
 * was planned anew on every request: 0.37–0.44 ms against 0.28 ms with its
 * generic plan (1M orders; deep page 3.9 vs 3.4 ms). The generic plan is
 * the same plan (the index in order, then the orders by key) — the list's
 * answers identical for every bench query.
 * enable_memoize: the page joins its orders by key through a Memoize node
 * (a cache of the inner lookups by order id), which can never hit: a page's
 * order ids are distinct. Without it the page statement took ~20% less of
 * the backend's CPU (1M orders, 280 → 220 µs per execution).
 * Only on the lists pool: other statements, whose best plan may depend on
 * the values (exports' ranges), keep PostgreSQL's choices.
 */
const listsPlanning = '-c plan_cache_mode=force_generic_plan -c enable_memoize=off';

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}
