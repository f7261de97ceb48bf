/**
 * JSON text written by SQLite: SQL expressions that turn a row's columns into
 * the API's JSON, byte for byte what JSON.stringify would write for the API
 * object (keys in the schema's order). On SQLite the list's page comes out of
 * its statements as JSON text per object, so the process neither builds a
 * JavaScript object per row and column nor writes the text itself
 * (docs/DECISIONS.md has the measurements, and why PostgreSQL does not).
 *
 * A value is a list of pieces: JSON text known in advance (`lit`) and SQL
 * expressions giving text (`sql`). Pieces are joined with `||` once, with
 * adjacent literals merged. Every SQL piece is written here or from column
 * names the mappers give (checked against NAME): none comes from a request,
 * so the text is safe to splice; the statements' values stay parameters.
 */
import { sql, type RawBuilder } from 'kysely';

type Piece = { lit: string } | { sql: string };
/** JSON text, as pieces: the whole of one JSON value. */
export type JsonSql = readonly Piece[];

/** A column as `table.column` (or `column`): lower-case names only. */
const NAME = /^[a-z_]+(\.[a-z_]+)?$/;
function column(name: string): string {
  if (!NAME.test(name)) throw new Error(`not a column name: ${name}`);
  return name;
}

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The pieces as one SQL text expression. */
function concat(pieces: JsonSql): string {
  const parts: string[] = [];
  let pending = '';
  for (const piece of pieces) {
    if ('lit' in piece) {
      pending += piece.lit;
      continue;
    }
    if (pending !== '') parts.push(literal(pending));
    pending = '';
    parts.push(piece.sql);
  }
  if (pending !== '' || parts.length === 0) parts.push(literal(pending));
  return parts.join(' || ');
}

const lit = (text: string): Piece => ({ lit: text });
const expr = (text: string): Piece => ({ sql: text });

/** A member of an object: `"key":value`, or a member present only when `when` (SQL) is true. */
export interface JsonMember {
  key: string;
  value: JsonSql;
  /** SQL condition: the member is absent (key and all) unless it holds */
  when?: string;
}

/**
 * Writes JSON in SQLite's SQL: json_quote escapes strings as JSON.stringify
 * does (`\"`, `\\`, \b \f \n \r \t, other control characters as lower-case
 * \u00XX, everything else as it is), printf writes money, strftime
 * timestamps, group_concat arrays. The property tests compare every object
 * with JSON.stringify (test/orders-json.test.ts).
 */
export class JsonWriter {
  /** A text column (nullable: null). */
  string(name: string): JsonSql {
    return [expr(`json_quote(${column(name)})`)];
  }

  /** An integer column, as a JSON number. */
  integer(name: string): JsonSql {
    return [expr(column(name))];
  }

  /** A 0/1 column as false/true. */
  boolean(name: string): JsonSql {
    return [expr(`CASE ${column(name)} WHEN 1 THEN 'true' ELSE 'false' END`)];
  }

  /** Minor units as a money string, "-12.05" (shared/money.ts formatMoney). */
  money(name: string): JsonSql {
    const c = column(name);
    return [lit('"'), expr(`printf('%s%d.%02d', CASE WHEN ${c} < 0 THEN '-' ELSE '' END, abs(${c}) / 100, abs(${c}) % 100)`), lit('"')];
  }

  /** Seconds since the epoch as "YYYY-MM-DD HH:MM:SS" UTC (shared/time.ts formatTimestamp); null stays null. */
  timestamp(name: string, nullable = false): JsonSql {
    const quoted = `'"' || strftime('%Y-%m-%d %H:%M:%S', ${column(name)}, 'unixepoch') || '"'`;
    return [expr(nullable ? `coalesce(${quoted}, 'null')` : quoted)];
  }

  /** A column holding JSON text already (written by JSON.stringify on import): spliced as it is. */
  stored(name: string): JsonSql {
    return [expr(column(name))];
  }

  /** An object of these members, in this order. */
  object(members: readonly JsonMember[]): JsonSql {
    const out: Piece[] = [lit('{')];
    let first = true;
    for (const m of members) {
      if (m.when !== undefined) {
        // its comma goes with it, so it cannot be the first member (the next one's comma would dangle)
        if (first) throw new Error('an optional member cannot come first');
        out.push(expr(`CASE WHEN ${m.when} THEN ${concat([lit(`,${JSON.stringify(m.key)}:`), ...m.value])} ELSE '' END`));
        continue;
      }
      out.push(lit(`${first ? '' : ','}${JSON.stringify(m.key)}:`), ...m.value);
      first = false;
    }
    out.push(lit('}'));
    return out;
  }

  /**
   * An array of `item` written over the rows of `from` (e.g. `tickets WHERE
   * tickets.order_id = orders.id`, a correlated subquery) in `orderBy`'s
   * order; [] when it finds no rows.
   */
  array(item: JsonSql, from: string, orderBy: string): JsonSql {
    return [lit('['), expr(`coalesce((SELECT group_concat(${concat(item)}, ',' ORDER BY ${column(orderBy)}) FROM ${from}), '')`), lit(']')];
  }

  /** The JSON as one SQL expression giving its text. */
  text(json: JsonSql): RawBuilder<string> {
    return sql.raw<string>(this.sql(json));
  }

  /** The same as SQL text (bench/floor.mjs runs it without Kysely). */
  sql(json: JsonSql): string {
    return concat(json);
  }
}
