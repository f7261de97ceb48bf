/**
 * SQL of exports: the durable job queue (claim, heartbeat, finish, retry with
 * the backoff computed in SQL, release) and the partner-scoped reads. The
 * streaming reads of orders and tickets for a file live in ExportReader.
 */
import { sql, type Kysely } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import type { Database, ExportRow, ExportTable } from '../db/types.js';
import type { OrderFilters } from '../orders/filters.js';
import { OrdersRepository } from '../orders/repository.js';
import { ConflictError, RateLimitedError } from '../shared/errors.js';
import { readAhead } from './read-ahead.js';

export interface NewExport {
  row: ExportTable;
  idempotencyKey: string | null;
}

export interface CreateLimits {
  now: number;
  /** an Idempotency-Key is honoured this long */
  idempotencyMs: number;
  rateLimit: number;
  rateWindowMs: number;
}

/** Runs `fn` in a transaction that takes the write lock first, so check-then-insert is atomic across processes. */
async function writeTransaction<T>(db: Db, lockKey: string, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.dialect === 'postgres') {
    return db.kysely.transaction().execute(async (trx) => {
      // Serialises this partner's export requests across API processes.
      await sql`select pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(trx);
      return fn(trx);
    });
  }
  // SQLite: BEGIN IMMEDIATE takes the write lock up front; a deferred
  // transaction that reads then writes can fail with SQLITE_BUSY when another
  // process wrote in between.
  return db.kysely.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
  });
}

export class ExportsRepository {
  constructor(private readonly db: Db) {}

  private get k(): Kysely<Database> {
    return this.db.kysely;
  }

  /**
   * Inserts an export unless the Idempotency-Key names a recent one (returned
   * instead) or the partner is over its rate limit. Committed before return.
   */
  async create(input: NewExport, limits: CreateLimits): Promise<{ row: ExportRow; created: boolean }> {
    const { row } = input;
    return writeTransaction(this.db, `exports:${row.partner_id}`, async (trx) => {
      if (input.idempotencyKey !== null) {
        const existing = await trx
          .selectFrom('exports')
          .selectAll()
          .where('partner_id', '=', row.partner_id)
          .where('idempotency_key', '=', input.idempotencyKey)
          .executeTakeFirst();
        if (existing && existing.created_at > limits.now - limits.idempotencyMs) {
          if (existing.params_hash !== row.params_hash) {
            throw new ConflictError('this Idempotency-Key was used with different parameters');
          }
          return { row: existing, created: false };
        }
        // An expired key is free again: detach it from the old export.
        if (existing) await trx.updateTable('exports').set({ idempotency_key: null }).where('id', '=', existing.id).execute();
      }
      const windowStart = limits.now - limits.rateWindowMs;
      const recent = await trx
        .selectFrom('exports')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
        .where('partner_id', '=', row.partner_id)
        .where('created_at', '>', windowStart)
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= limits.rateLimit) {
        // The window frees a slot when its oldest request leaves it.
        const oldestInWindow = await trx
          .selectFrom('exports')
          .select('created_at')
          .where('partner_id', '=', row.partner_id)
          .where('created_at', '>', windowStart)
          .orderBy('created_at', 'desc')
          .limit(1)
          .offset(limits.rateLimit - 1)
          .executeTakeFirst();
        const frees = (oldestInWindow?.created_at ?? Number(recent.oldest)) + limits.rateWindowMs;
        const retryAfter = Math.max(1, Math.ceil((frees - limits.now) / 1000));
        throw new RateLimitedError(`at most ${limits.rateLimit} export requests per hour; retry in ${retryAfter} s`, retryAfter);
      }
      const inserted = { ...row, idempotency_key: input.idempotencyKey };
      await trx.insertInto('exports').values(inserted).execute();
      return { row: inserted, created: true };
    });
  }

  async get(partnerId: string, id: string): Promise<ExportRow | undefined> {
    return this.k.selectFrom('exports').selectAll().where('partner_id', '=', partnerId).where('id', '=', id).executeTakeFirst();
  }

  async list(partnerId: string, limit: number, offset: number | null): Promise<{ total: number; rows: ExportRow[] }> {
    const totalP = this.k
      .selectFrom('exports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('partner_id', '=', partnerId)
      .executeTakeFirstOrThrow();
    const rowsP =
      offset === null
        ? Promise.resolve([])
        : this.k
            .selectFrom('exports')
            .selectAll()
            .where('partner_id', '=', partnerId)
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc')
            .limit(limit)
            .offset(offset)
            .execute();
    const [total, rows] = await Promise.all([totalP, rowsP]);
    return { total: Number(total.n), rows };
  }

  /** The download file of an export, by id alone: the capability token is checked by the caller. */
  async file(id: string): Promise<Pick<ExportRow, 'id' | 'file_path' | 'file_name' | 'file_type' | 'file_size' | 'file_token_hash' | 'file_expires_at'> | undefined> {
    return this.k
      .selectFrom('exports')
      .select(['id', 'file_path', 'file_name', 'file_type', 'file_size', 'file_token_hash', 'file_expires_at'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Claims one due job in one statement: a queued job whose time has come,
   * or a running one whose lease expired (its worker died). attempts+1,
   * locked_by/locked_until set. SKIP LOCKED lets many workers claim at once
   * on PostgreSQL; on SQLite the UPDATE takes the database write lock first.
   */
  async claim(workerId: string, now: number, leaseMs: number): Promise<ExportRow | undefined> {
    let due = this.k
      .selectFrom('exports')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
          eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)]),
        ]),
      )
      .orderBy('run_at')
      .orderBy('id')
      .limit(1);
    if (this.db.dialect === 'postgres') due = due.forUpdate().skipLocked();
    return this.k
      .updateTable('exports')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        locked_by: workerId,
        locked_until: now + leaseMs,
        started_at: eb.fn.coalesce('started_at', sql<number>`cast(${now} as bigint)`),
        error: null,
      }))
      .where('id', '=', due)
      .returningAll()
      .executeTakeFirst();
  }

  /** Extends the lease; false when the job is no longer ours (lease expired and reclaimed). */
  async heartbeat(id: string, workerId: string, until: number): Promise<boolean> {
    const r = await this.k
      .updateTable('exports')
      .set({ locked_until: until })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Records the download file before the e-mail with its link is sent. */
  async setFile(
    id: string,
    workerId: string,
    file: { path: string; name: string; type: string; size: number; tokenHash: string; expiresAt: number },
  ): Promise<boolean> {
    const r = await this.k
      .updateTable('exports')
      .set({
        file_path: file.path,
        file_name: file.name,
        file_type: file.type,
        file_size: file.size,
        file_token_hash: file.tokenHash,
        file_expires_at: file.expiresAt,
      })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async markSent(id: string, workerId: string, now: number, counts: { orders: number; tickets: number }): Promise<boolean> {
    const r = await this.k
      .updateTable('exports')
      .set({ status: 'sent', finished_at: now, orders: counts.orders, tickets: counts.tickets, locked_by: null, locked_until: null, error: null })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * A failed attempt: permanent failures and the last attempt end the job;
   * otherwise it is queued again after retryBaseMs · 2^(attempts−1), computed
   * in SQL from the row's own attempt count.
   */
  async markFailed(id: string, workerId: string, now: number, error: string, permanent: boolean, retryBaseMs: number): Promise<'failed' | 'queued' | 'lost'> {
    const ended = permanent ? sql<boolean>`1 = 1` : sql<boolean>`attempts >= max_attempts`;
    const r = await this.k
      .updateTable('exports')
      .set({
        status: sql<string>`case when ${ended} then 'failed' else 'queued' end`,
        run_at: sql<number>`cast(${now} as bigint) + cast(${retryBaseMs} as bigint) * (1 << (case when attempts > 20 then 20 else attempts end - 1))`,
        finished_at: sql<number | null>`case when ${ended} then cast(${now} as bigint) else null end`,
        error,
        locked_by: null,
        locked_until: null,
      })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .returning('status')
      .executeTakeFirst();
    return r ? (r.status as 'failed' | 'queued') : 'lost';
  }

  /** Gives a job back on graceful shutdown: queued again at once, and the attempt does not count. */
  async release(id: string, workerId: string, now: number): Promise<void> {
    await this.k
      .updateTable('exports')
      .set((eb) => ({ status: 'queued', run_at: now, attempts: eb('attempts', '-', 1), locked_by: null, locked_until: null }))
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .execute();
  }

  async countsByStatus(): Promise<Record<string, number>> {
    const rows = await this.k.selectFrom('exports').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async expiredFiles(now: number): Promise<{ id: string; file_path: string }[]> {
    const rows = await this.k
      .selectFrom('exports')
      .select(['id', 'file_path'])
      .where('file_expires_at', '<', now)
      .where('file_path', 'is not', null)
      .limit(100)
      .execute();
    return rows.map((r) => ({ id: r.id, file_path: r.file_path! }));
  }

  async clearFile(id: string): Promise<void> {
    await this.k.updateTable('exports').set({ file_path: null }).where('id', '=', id).execute();
  }
}

/** Rows per FETCH of the export cursor. */
const CHUNK = 1000;
/** Rows read ahead of the file writer (PostgreSQL). */
const READ_AHEAD = 4 * CHUNK;

/**
 * Streams every order (and then every ticket) one partner may see under the
 * filters, in list order, through a cursor. Tenant filter and filters come
 * from OrdersRepository.visible(), the same as the list. `db` is a
 * connection dedicated to reading (on SQLite an open iterate() would block
 * the writes of the main connection).
 */
export class ExportReader {
  constructor(private readonly db: Db) {}

  /**
   * Runs both passes on one snapshot: the file is "as of the time the job
   * runs". PostgreSQL: `imported` names a snapshot another transaction
   * exported (SnapshotReader.exportSnapshot), which this one then reads too.
   */
  async snapshot<T>(fn: (reader: SnapshotReader) => Promise<T>, imported?: string): Promise<T> {
    const tx = this.db.kysely.transaction();
    if (this.db.dialect !== 'postgres') {
      if (imported !== undefined) throw new Error('only PostgreSQL shares snapshots between connections');
      return tx.execute((trx) => fn(new SnapshotReader(trx, this.db.dialect)));
    }
    return tx
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        if (imported !== undefined) {
          // a utility statement: no parameters; the id is checked, then quoted
          if (!SNAPSHOT_ID.test(imported)) throw new Error(`not a snapshot id: ${imported}`);
          await sql`set transaction snapshot ${sql.lit(imported)}`.execute(trx);
        }
        return fn(new SnapshotReader(trx, this.db.dialect));
      });
  }
}

/** What pg_export_snapshot() returns, e.g. 00000003-0000001B-1. */
const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/;

export class SnapshotReader {
  private readonly orders: OrdersRepository;
  constructor(
    private readonly trx: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {
    this.orders = new OrdersRepository(trx, dialect);
  }

  /**
   * PostgreSQL: the next chunks are fetched while this one is written
   * (read-ahead.ts). SQLite reads synchronously in-process: nothing to overlap.
   */
  private cursor<R>(rows: AsyncIterableIterator<R>): AsyncIterable<R> {
    return this.dialect === 'postgres' ? readAhead(rows, READ_AHEAD) : rows;
  }

  /**
   * PostgreSQL: makes this transaction's snapshot importable by another
   * connection (ExportReader.snapshot's `imported`) while this transaction
   * stays open, so that a second reader sees exactly the same rows.
   */
  async exportSnapshot(): Promise<string> {
    if (this.dialect !== 'postgres') throw new Error('only PostgreSQL shares snapshots between connections');
    const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(this.trx);
    return (rows[0] as { id: string }).id;
  }

  orderRecords(partnerId: string, filters: OrderFilters) {
    return this.cursor(
      exportedOrders(this.orders, partnerId, filters)
        .select([
          'o.id',
          'o.number',
          'o.code',
          'o.status',
          'o.created_at',
          'o.done_at',
          'o.expired_after',
          'o.event_id',
          'e.title_text as event_title',
          'e.start_at as event_start',
          'o.org_id',
          'org.name as org_name',
          'o.vendor_id',
          'v.name as vendor_name',
          'o.origin',
          'o.customer_name',
          'o.customer_email',
          'o.customer_phone',
          'o.tickets_count',
          'o.price',
          'o.discount',
          'o.nominal',
          'o.extra',
          'o.full_value',
          'o.promocodes',
        ])
        .stream(CHUNK),
    );
  }

  ticketRecords(partnerId: string, filters: OrderFilters) {
    return this.cursor(
      exportedTickets(this.orders, partnerId, filters)
        .select([
          'o.number as order_number',
          'o.id as order_id',
          'o.status as order_status',
          't.id',
          't.number',
          't.serial',
          't.barcode',
          't.set_id',
          't.status',
          't.seat',
          't.price',
          't.discount',
          't.nominal',
          't.extra',
          't.full_value',
        ])
        .stream(CHUNK),
    );
  }
}

/**
 * The export's two passes without their columns: every order one partner may
 * see under the filters (OrdersRepository.visible(), as the list) with its
 * event and partners, newest first; and every ticket of those orders in the
 * same order. The cursor reader and the COPY reader (csv-repository.ts)
 * select their columns from these.
 */
export function exportedOrders(orders: OrdersRepository, partnerId: string, filters: OrderFilters) {
  return orders
    .visible(partnerId, filters)
    .innerJoin('orders as o', 'o.id', 'order_access.order_id')
    .innerJoin('events as e', 'e.id', 'o.event_id')
    .innerJoin('partners as org', 'org.id', 'o.org_id')
    .leftJoin('partners as v', 'v.id', 'o.vendor_id')
    .orderBy('order_access.created_at', 'desc')
    .orderBy('order_access.order_id', 'desc');
}

export function exportedTickets(orders: OrdersRepository, partnerId: string, filters: OrderFilters) {
  return orders
    .visible(partnerId, filters)
    .innerJoin('orders as o', 'o.id', 'order_access.order_id')
    .innerJoin('tickets as t', 't.order_id', 'order_access.order_id')
    .orderBy('order_access.created_at', 'desc')
    .orderBy('order_access.order_id', 'desc')
    .orderBy('t.position');
}

type Streamed<F extends (...args: never[]) => AsyncIterable<unknown>> = ReturnType<F> extends AsyncIterable<infer R> ? R : never;
/** Row shapes of the two export passes, as the queries select them. */
export type OrderExportRecord = Streamed<SnapshotReader['orderRecords']>;
export type TicketExportRecord = Streamed<SnapshotReader['ticketRecords']>;
