/**
 * Export rows <-> API objects and file rows: the one place per object where
 * the storage shape meets the API and spreadsheet shapes.
 */
import type { ExportRow } from '../db/types.js';
import type { FilterEcho } from '../orders/filters.js';
import { formatTimestamp } from '../shared/time.js';
import type { OrderExportRecord, TicketExportRecord } from './repository.js';
import type { ExportFormat, ExportLang, ExportOrderRow, ExportStatus, ExportTicketRow } from './types.js';

export interface ExportApi {
  id: string;
  status: ExportStatus;
  email: string;
  format: ExportFormat;
  lang: ExportLang;
  tz: string;
  filters: FilterEcho;
  orders: number | null;
  tickets: number | null;
  attempts: number;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const ts = (ms: number | null): string | null => (ms === null ? null : formatTimestamp(Math.floor(ms / 1000)));

export const ExportMapper = {
  toApi(row: ExportRow): ExportApi {
    return {
      id: row.id,
      status: row.status as ExportStatus,
      email: row.email,
      format: row.format as ExportFormat,
      lang: row.lang as ExportLang,
      tz: row.tz,
      filters: JSON.parse(row.filters) as FilterEcho,
      orders: row.orders === null ? null : Number(row.orders),
      tickets: row.tickets === null ? null : Number(row.tickets),
      attempts: row.attempts,
      error: row.error,
      created_at: ts(row.created_at)!,
      started_at: ts(row.started_at),
      finished_at: ts(row.finished_at),
    };
  },
};

/** A pass's records as file rows, one by one (the mapper below for each). */
export async function* mapped<A, B>(source: AsyncIterable<A>, fn: (a: A) => B): AsyncGenerator<B> {
  for await (const item of source) yield fn(item);
}

type Seat = { row?: string | number | null; number?: string | number | null; sector?: string | number | null };

export const ExportRowMapper = {
  order(r: OrderExportRecord): ExportOrderRow {
    return {
      number: Number(r.number),
      code: r.code,
      id: r.id,
      status: r.status,
      created_at: Number(r.created_at),
      done_at: r.done_at === null ? null : Number(r.done_at),
      expired_after: Number(r.expired_after),
      event_id: r.event_id,
      event_title: r.event_title,
      event_start: Number(r.event_start),
      org_id: r.org_id,
      org_name: r.org_name,
      vendor_id: r.vendor_id,
      vendor_name: r.vendor_name,
      origin: r.origin,
      customer_name: r.customer_name,
      customer_email: r.customer_email,
      customer_phone: r.customer_phone,
      tickets_count: Number(r.tickets_count),
      price: Number(r.price),
      discount: Number(r.discount),
      nominal: Number(r.nominal),
      extra: Number(r.extra),
      full: Number(r.full_value),
      promocodes: JSON.parse(r.promocodes) as string[],
    };
  },
  ticket(r: TicketExportRecord): ExportTicketRow {
    const seat: Seat = r.seat === null ? {} : (JSON.parse(r.seat) as Seat);
    return {
      order_number: Number(r.order_number),
      order_id: r.order_id,
      order_status: r.order_status,
      ticket_id: r.id,
      ticket_number: Number(r.number),
      serial: r.serial,
      barcode: r.barcode,
      set_id: r.set_id,
      status: r.status,
      seat_row: seat.row ?? null,
      seat_number: seat.number ?? null,
      sector: seat.sector ?? null,
      price: Number(r.price),
      discount: Number(r.discount),
      nominal: Number(r.nominal),
      extra: Number(r.extra),
      full: Number(r.full_value),
    };
  },
};
