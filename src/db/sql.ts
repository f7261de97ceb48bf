import { sql, type Expression, type SqlBool } from 'kysely';
import type { Dialect } from './database.js';

/**
 * `column IN (…)`, or on PostgreSQL `column = any($1::type[])`: one array
 * parameter, so the statement's text does not grow or change with the list
 * (parsed and, when named, prepared once; see database.ts).
 */
export function oneOf<T extends string | number>(dialect: Dialect, column: Expression<T>, values: T[], type: 'text' | 'bigint'): Expression<SqlBool> {
  return dialect === 'postgres' ? sql<SqlBool>`${column} = any(${values}::${sql.raw(type)}[])` : sql<SqlBool>`${column} in (${sql.join(values)})`;
}
