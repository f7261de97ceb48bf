/**
 * Table types (Kysely). Conventions: timestamps are integer seconds since the
 * epoch (UTC); money is integer minor units; booleans are 0/1 integers so
 * the same code serves SQLite and PostgreSQL; free-form JSON is stored as text.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';

export interface PartnerTable {
  id: string;
  name: string;
}

export interface EventTable {
  id: string;
  org_id: string;
  title_text: string;
  title_desc: string | null;
  start_at: number;
  finish_at: number;
  status: string;
  timezone: string;
}

export interface OrderTable {
  id: string;
  number: number;
  code: string | null;
  status: string;
  created_at: number;
  done_at: number | null;
  expired_after: number;
  event_id: string;
  org_id: string;
  vendor_id: string | null;
  origin: string;
  /** JSON array of promocode ids */
  promocodes: string;
  invitation: number;
  send_tickets: number;
  subscribe_agree: number;
  /** 1 when name, email or phone is a non-empty string (SPEC §5) */
  has_customer: number;
  customer_name: string | null;
  customer_email: string | null;
  customer_phone: string | null;
  customer_lang: string | null;
  price: number;
  discount: number;
  nominal: number;
  extra: number;
  full_value: number;
  tickets_count: number;
  /** JSON object: set id -> {id, price, nominal, discount, promocode} */
  sets_values: string;
  /** JSON array */
  viral_promocodes: string;
  /** JSON object */
  vendor_data: string;
}

export interface TicketTable {
  id: string;
  order_id: string;
  /** position of the ticket within its order, to give tickets back in import order */
  position: number;
  number: number;
  serial: string;
  barcode: string | null;
  set_id: string;
  status: string;
  price: number;
  discount: number;
  nominal: number;
  extra: number;
  full_value: number;
  /** JSON {row, number, sector} for seated tickets, else null */
  seat: string | null;
}

/**
 * One row per (partner, order) the partner may see: the organiser's row and,
 * when the vendor is another partner, the vendor's. It carries copies of the
 * filtered columns so that "org OR vendor" becomes one index range per
 * partner, ordered by (created_at, order_id).
 */
export interface OrderAccessTable {
  partner_id: string;
  order_id: string;
  created_at: number;
  status: string;
  event_id: string;
  has_customer: number;
}

/**
 * Orders visible to a partner per bucket, kept by the writes so that
 * pagination.total does not count rows one by one (src/orders/counts.ts).
 * event_id '' is the roll-up over all the partner's events.
 */
export interface OrderCountTable {
  partner_id: string;
  event_id: string;
  /** start of the calendar month (UTC), seconds since the epoch */
  month: number;
  status: string;
  has_customer: number;
  n: number;
}

export interface ApiKeyTable {
  id: string;
  partner_id: string;
  name: string | null;
  /** hex SHA-256 of the token; the token itself is never stored */
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ExportTable {
  id: string;
  partner_id: string;
  status: string;
  email: string;
  format: string;
  lang: string;
  tz: string;
  /** JSON: the filters as the caller wrote them, normalised (FilterEcho) */
  filters: string;
  /** JSON: the parsed filters the worker queries with (OrderFilters) */
  query: string;
  /** SHA-256 of the normalised parameters, to compare Idempotency-Key replays */
  params_hash: string;
  idempotency_key: string | null;
  orders: number | null;
  tickets: number | null;
  attempts: number;
  max_attempts: number;
  error: string | null;
  /** milliseconds since the epoch, like every time in this table */
  created_at: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  started_at: number | null;
  finished_at: number | null;
  file_path: string | null;
  file_name: string | null;
  file_type: string | null;
  file_size: number | null;
  file_token_hash: string | null;
  file_expires_at: number | null;
}

export interface Database {
  partners: PartnerTable;
  events: EventTable;
  orders: OrderTable;
  tickets: TicketTable;
  order_access: OrderAccessTable;
  order_counts: OrderCountTable;
  api_keys: ApiKeyTable;
  exports: ExportTable;
}

export type PartnerRow = Selectable<PartnerTable>;
export type EventRow = Selectable<EventTable>;
export type OrderRow = Selectable<OrderTable>;
export type NewOrderRow = Insertable<OrderTable>;
export type TicketRow = Selectable<TicketTable>;
export type NewTicketRow = Insertable<TicketTable>;
export type OrderAccessRow = Selectable<OrderAccessTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type ApiKeyUpdate = Updateable<ApiKeyTable>;
export type ExportRow = Selectable<ExportTable>;
