/**
 * The csv export on PostgreSQL: the database formats both tables itself,
 * `COPY (SELECT <formatted columns> …) TO STDOUT WITH (FORMAT csv)`, and this
 * process only moves the bytes into the files and the zip.
 *
 * Why: reading 1M orders and 2M tickets into JavaScript objects through a
 * cursor took 1.2–1.5× the time of a plain COPY of the same join before a
 * field was formatted, and the whole csv export 2.3–3.9× (docs/BENCHMARKS.md);
 * formatting in SQL adds a fraction to the COPY instead.
 *
 * The columns and their order come from files/columns.ts, the formatting of
 * each kind mirrors files/csv.ts (a test compares the two byte for byte):
 * - text: a leading ' when the value starts like a formula; an empty string
 *   as NULL, because COPY writes NULL as an empty field but '' as `""`.
 * - money: minor units → `150.00`, `-0.05`.
 * - time: `YYYY-MM-DD HH:MM:SS` of the wall clock in the export's zone, which
 *   is the transaction's TimeZone setting (PostgreSQL's zone data; the worker
 *   uses this path only for a zone PostgreSQL knows).
 * - seat: a JSON number as written, a JSON string as text.
 * COPY ends records with LF; the csv writer turns them into CRLF.
 *
 * COPY takes no bind parameters. The query is built with Kysely from
 * OrdersRepository.visible() (the tenant filter and the filters, as for the
 * list), compiled, and each `$n` is replaced by `current_setting('kassa.pn')`;
 * the values are set with set_config($n) in the same transaction, so they
 * still travel as parameters and never as SQL text.
 */
import type { CompiledQuery, Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Db } from '../db/database.js';
import type { Database } from '../db/types.js';
import type { OrderFilters } from '../orders/filters.js';
import { OrdersRepository } from '../orders/repository.js';
import { exportedOrders, exportedTickets } from './repository.js';
import { FORMULA_CHARS, ORDER_COLUMNS, TICKET_COLUMNS, type CellKind, type Column } from './files/columns.js';
import type { ExportOrderRow, ExportTicketRow } from './types.js';

/** SQL text written here, never data. */
type Expr = string;

const FORMULA_START = FORMULA_CHARS.map((c) => c.codePointAt(0)).join(', ');

/**
 * csvText(): ' before a formula start; '' as NULL (an empty field, as csv.ts
 * writes it). ascii() is the first character's code point: comparing
 * integers costs half of comparing left(e, 1) with strings (measured).
 */
const text = (e: Expr): Expr => `nullif(case when ascii(${e}) in (${FORMULA_START}) then '''' || ${e} else ${e} end, '')`;

/**
 * Seconds → wall clock. `timestamp::text` is the format wanted (DateStyle ISO)
 * from year 1 on; before it PostgreSQL writes "0001 … BC" for the year
 * JavaScript calls 0000, so early instants (a day of margin for any offset)
 * take the slower path that counts years as formatTimestamp does.
 */
const YEAR_1_SAFE = -62135596800 + 86400;
const time = (e: Expr): Expr => {
  const wall = `to_timestamp(${e})::timestamp`;
  const early =
    `lpad((extract(year from ${wall})::int + case when ${wall} < '0001-01-01'::timestamp then 1 else 0 end)::text, 4, '0')` +
    ` || to_char(${wall}, '-MM-DD HH24:MI:SS')`;
  return `case when ${e} >= ${YEAR_1_SAFE} then ${wall}::text else ${early} end`;
};

/** `e` is a json value: a string is text, a number stays as JSON wrote it, null is empty. */
const seat = (e: Expr): Expr => `case when json_typeof(${e}) = 'string' then ${text(`(${e} #>> '{}')`)} else ${e} #>> '{}' end`;

const FORMAT: Record<CellKind, (e: Expr) => Expr> = {
  int: (e) => e,
  text,
  // bigint arithmetic and text, not numeric: "150.00", "-0.05". Cheaper than
  // `e::numeric * 0.01` (2M tickets × 5 columns: 2.6 against 3.2 s), which
  // was a third cheaper than round(e / 100, 2). Negatives by their absolute
  // value, because % keeps the dividend's sign.
  money: (e) => {
    const abs = (v: Expr): Expr => `(${v} / 100)::text || '.' || lpad((${v} % 100)::text, 2, '0')`;
    return `case when (${e}) >= 0 then ${abs(`(${e})`)} else '-' || ${abs(`(-(${e}))`)} end`;
  },
  time,
  seat,
};

/** Where each field comes from in the export joins; `formatted` when the column's kind cannot format it from one expression. */
type Source = Expr | { formatted: Expr };

const ORDER_SOURCES: Record<keyof ExportOrderRow, Source> = {
  number: 'o.number',
  code: 'o.code',
  id: 'o.id',
  status: 'o.status',
  created_at: 'o.created_at',
  done_at: 'o.done_at',
  expired_after: 'o.expired_after',
  event_id: 'o.event_id',
  event_title: 'e.title_text',
  event_start: 'e.start_at',
  org_id: 'o.org_id',
  org_name: 'org.name',
  vendor_id: 'o.vendor_id',
  vendor_name: 'v.name',
  origin: 'o.origin',
  customer_name: 'o.customer_name',
  customer_email: 'o.customer_email',
  customer_phone: 'o.customer_phone',
  tickets_count: 'o.tickets_count',
  price: 'o.price',
  discount: 'o.discount',
  nominal: 'o.nominal',
  extra: 'o.extra',
  full: 'o.full_value',
  // joined with ', ' in array order; no promocodes is an empty field
  promocodes: {
    formatted:
      `case when o.promocodes = '[]' then null else (select ${text('q.s')} from (select string_agg(x.p, ', ' order by x.n) as s ` +
      `from json_array_elements_text(o.promocodes::json) with ordinality as x(p, n)) as q) end`,
  },
};

const TICKET_SOURCES: Record<keyof ExportTicketRow, Source> = {
  order_number: 'o.number',
  order_id: 'o.id',
  order_status: 'o.status',
  ticket_id: 't.id',
  ticket_number: 't.number',
  serial: 't.serial',
  barcode: 't.barcode',
  set_id: 't.set_id',
  status: 't.status',
  // the seat's JSON is parsed once per ticket (the lateral json_to_record below)
  seat_row: 'seat."row"',
  seat_number: 'seat."number"',
  sector: 'seat."sector"',
  price: 't.price',
  discount: 't.discount',
  nominal: 't.nominal',
  extra: 't.extra',
  full: 't.full_value',
};

function formatted<R>(columns: readonly Column<R>[], sources: Record<keyof R, Source>) {
  return columns.map((c, i) => {
    const source = sources[c.key];
    return sql.raw(typeof source === 'string' ? FORMAT[c.kind](source) : source.formatted).as(`c${i}`);
  });
}

/**
 * A compiled query as COPY can run it: `$n` → `current_setting('kassa.pn')`
 * (cast back for numbers), plus the statement that sets those values.
 */
export function copyStatement(query: CompiledQuery): { copy: string; settings: string; values: string[] } {
  const values = query.parameters.map((value, i) => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new TypeError(`copyStatement: parameter $${i + 1} is neither a string nor an integer`);
  });
  const body = query.sql.replace(/\$(\d+)/g, (_match, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= values.length) throw new RangeError(`copyStatement: no parameter $${n}`);
    return typeof query.parameters[i] === 'number' ? `current_setting('kassa.p${n}')::bigint` : `current_setting('kassa.p${n}')`;
  });
  const settings = `select ${values.map((_v, i) => `set_config('kassa.p${i + 1}', $${i + 1}, true)`).join(', ')}`;
  return { copy: `COPY (${body}) TO STDOUT WITH (FORMAT csv)`, settings, values };
}

export interface CsvRecordSources {
  /** the Orders table's records */
  orders: AsyncIterable<Buffer>;
  /** the Tickets table's records; started after the orders are read */
  tickets: () => AsyncIterable<Buffer>;
}

export class CsvCopyReader {
  private readonly orders: OrdersRepository;
  /** builds and compiles queries only; they run on the export's own connection */
  private readonly k: Kysely<Database>;

  constructor(private readonly db: Db) {
    if (db.dialect !== 'postgres') throw new Error('CsvCopyReader needs PostgreSQL');
    this.k = db.kysely;
    this.orders = new OrdersRepository(db.kysely, db.dialect);
  }

  /** Whether PostgreSQL knows the time zone (it formats the times in it). */
  async knowsZone(tz: string): Promise<boolean> {
    const r = await sql<{ n: number }>`select count(*) as n from pg_timezone_names where name = ${tz}`.execute(this.k);
    return Number(r.rows[0]?.n) > 0;
  }

  orderQuery(partnerId: string, filters: OrderFilters): CompiledQuery {
    return exportedOrders(this.orders, partnerId, filters).select(formatted(ORDER_COLUMNS, ORDER_SOURCES)).compile();
  }

  ticketQuery(partnerId: string, filters: OrderFilters): CompiledQuery {
    return exportedTickets(this.orders, partnerId, filters)
      .leftJoinLateral(sql`json_to_record(t.seat::json)`.as<'seat'>(sql`seat("row" json, "number" json, "sector" json)`), (join) => join.onTrue())
      .select(formatted(TICKET_COLUMNS, TICKET_SOURCES))
      .compile();
  }

  /**
   * Runs `fn` with both tables as csv records read in one read-only
   * snapshot, on a connection of its own (COPY streams through the raw
   * client). On failure the connection is closed rather than rolled back: a
   * COPY may still be sending.
   */
  async snapshot<T>(partnerId: string, filters: OrderFilters, tz: string, fn: (records: CsvRecordSources) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.db.url });
    await client.connect();
    // a broken connection reports through the COPY stream or the next query
    client.on('error', () => undefined);
    const records = (query: CompiledQuery) =>
      async function* () {
        const { copy, settings, values } = copyStatement(query);
        await client.query(settings, values);
        yield* client.query(copyTo(copy)) as AsyncIterable<Buffer>;
      };
    try {
      await client.query('begin isolation level repeatable read, read only');
      // the export's zone for the times; ISO dates whatever the server's default
      await client.query("select set_config('timezone', $1, true), set_config('datestyle', 'ISO, YMD', true)", [tz]);
      const result = await fn({
        orders: records(this.orderQuery(partnerId, filters))(),
        tickets: records(this.ticketQuery(partnerId, filters)),
      });
      await client.query('commit');
      await client.end();
      return result;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }
}
