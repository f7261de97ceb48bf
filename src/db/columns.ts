/**
 * Every column of the tables the import writes and the list reads, with its
 * SQL type (PostgreSQL's bulk insert casts each column's array to it). Being
 * records over the tables' keys, they fail to compile when a column is added
 * to a table and not here. The list reads named columns rather than `*`
 * (orders/repository.ts says why): those its writers use, listed with them
 * (orders/mappers.ts), read as arrays typed by `Tuple` below.
 */
import type { OrderAccessTable, OrderTable, TicketTable } from './types.js';

export type SqlTypes<T> = Record<keyof T & string, 'text' | 'bigint' | 'integer'>;

export const ORDER_TYPES: SqlTypes<OrderTable> = {
  id: 'text',
  number: 'bigint',
  code: 'text',
  status: 'text',
  created_at: 'bigint',
  done_at: 'bigint',
  expired_after: 'bigint',
  event_id: 'text',
  org_id: 'text',
  vendor_id: 'text',
  origin: 'text',
  promocodes: 'text',
  invitation: 'integer',
  send_tickets: 'integer',
  subscribe_agree: 'integer',
  has_customer: 'integer',
  customer_name: 'text',
  customer_email: 'text',
  customer_phone: 'text',
  customer_lang: 'text',
  price: 'bigint',
  discount: 'bigint',
  nominal: 'bigint',
  extra: 'bigint',
  full_value: 'bigint',
  tickets_count: 'integer',
  sets_values: 'text',
  viral_promocodes: 'text',
  vendor_data: 'text',
};
export const TICKET_TYPES: SqlTypes<TicketTable> = {
  id: 'text',
  order_id: 'text',
  position: 'integer',
  number: 'bigint',
  serial: 'text',
  barcode: 'text',
  set_id: 'text',
  status: 'text',
  price: 'bigint',
  discount: 'bigint',
  nominal: 'bigint',
  extra: 'bigint',
  full_value: 'bigint',
  seat: 'text',
};
export const ACCESS_TYPES: SqlTypes<OrderAccessTable> = {
  partner_id: 'text',
  order_id: 'text',
  created_at: 'bigint',
  status: 'text',
  event_id: 'text',
  has_customer: 'integer',
};

/**
 * A row read as an array (pg's rowMode 'array'): the values of the columns
 * `C` of a table row `T`, in C's order. Reading rows as arrays spares pg an
 * object per row with a keyed store per column (the list, measured in
 * docs/DECISIONS.md).
 */
export type Tuple<T, C extends readonly (keyof T)[]> = { -readonly [I in keyof C]: T[C[I]] };

/** The position of column `K` in `C` (a literal number type). */
type PositionOf<C extends readonly unknown[], K, Seen extends unknown[] = []> = C extends readonly [infer Head, ...infer Rest]
  ? Head extends K
    ? Seen['length']
    : PositionOf<Rest, K, [...Seen, Head]>
  : never;

/** Each column's position in `C`: `tuple[at.price]` is typed as the price column. */
export type Positions<C extends readonly string[]> = { readonly [K in C[number]]: PositionOf<C, K> };

export function positions<const C extends readonly string[]>(columns: C): Positions<C> {
  return Object.freeze(Object.fromEntries(columns.map((column, i) => [column, i]))) as Positions<C>;
}

/** A row's values for the columns `C`, as PostgreSQL returns them in array mode (tests build tuples with it). */
export function tupleOf<T, const C extends readonly (keyof T)[]>(row: T, columns: C): Tuple<T, C> {
  return columns.map((column) => row[column]) as Tuple<T, C>;
}
