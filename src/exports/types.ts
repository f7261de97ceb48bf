/**
 * Shapes shared by the export pieces: the rows the repository streams, the
 * files the writers produce, and the e-mail the mailer sends.
 */
import type { FilterEcho } from '../orders/filters.js';
import type { TicketsRead } from './tickets-thread.js';

export type ExportFormat = 'xlsx' | 'csv';
export type ExportLang = 'ru' | 'en';
export type ExportStatus = 'queued' | 'running' | 'sent' | 'failed';

/** One row of the Orders sheet/file. Times are seconds since the epoch (UTC); money is minor units. */
export interface ExportOrderRow {
  number: number;
  code: string | null;
  id: string;
  status: string;
  created_at: number;
  done_at: number | null;
  expired_after: number;
  event_id: string;
  event_title: string;
  event_start: number;
  org_id: string;
  org_name: string;
  vendor_id: string | null;
  vendor_name: string | null;
  origin: string;
  customer_name: string | null;
  customer_email: string | null;
  customer_phone: string | null;
  tickets_count: number;
  price: number;
  discount: number;
  nominal: number;
  extra: number;
  full: number;
  promocodes: string[];
}

/** One row of the Tickets sheet/file. Money is minor units. */
export interface ExportTicketRow {
  order_number: number;
  order_id: string;
  order_status: string;
  ticket_id: string;
  ticket_number: number;
  serial: string;
  barcode: string | null;
  set_id: string;
  status: string;
  seat_row: string | number | null;
  seat_number: string | number | null;
  sector: string | number | null;
  price: number;
  discount: number;
  nominal: number;
  extra: number;
  full: number;
}

export interface ExportFile {
  /** absolute path on disk */
  path: string;
  /** name shown to the recipient */
  filename: string;
  contentType: string;
  size: number;
}

interface WriteFilesBase {
  format: ExportFormat;
  lang: ExportLang;
  /** IANA time zone for timestamps in the files */
  tz: string;
  /** directory to write into (created if missing) */
  dir: string;
  /** when the files are generated; used in file names */
  generatedAt: Date;
  /** rows per sheet including the header (Excel's limit by default); lowered in tests */
  maxSheetRows?: number;
  /** checked between rows; when it returns true the writer stops with an error (lost lease, shutdown) */
  aborted?: () => boolean;
  /** the most the files may take in all to go out as attachments; beyond it only `download` is kept (default: no limit) */
  maxAttachmentBytes?: number;
}

/** The two tables as rows, formatted by the writers. */
export interface WriteRowsOptions extends WriteFilesBase {
  /** first pass: every order, newest first */
  orders: AsyncIterable<ExportOrderRow>;
  /** second pass, started after the orders are written: every ticket of those orders */
  tickets: () => AsyncIterable<ExportTicketRow>;
}

/**
 * xlsx on PostgreSQL: the orders as rows; the tickets read and written by a
 * thread of their own from the same snapshot (exports/tickets-thread.ts).
 */
export interface WriteXlsxThreadedOptions extends WriteFilesBase {
  format: 'xlsx';
  orders: AsyncIterable<ExportOrderRow>;
  ticketsRead: TicketsRead;
}

/** The two tables already formatted as csv records by the database (PostgreSQL's COPY; exports/csv-repository.ts). */
export interface WriteCsvRecordsFilesOptions extends WriteFilesBase {
  format: 'csv';
  records: {
    orders: AsyncIterable<Buffer>;
    tickets: () => AsyncIterable<Buffer>;
  };
}

export type WriteFilesOptions = WriteRowsOptions | WriteXlsxThreadedOptions | WriteCsvRecordsFilesOptions;

export interface WrittenFiles {
  /**
   * the files as e-mail attachments; null when together they are over
   * maxAttachmentBytes, and then only `download` is on disk (the csv files
   * stop being written as soon as they cross it)
   */
  files: ExportFile[] | null;
  /** the one file offered by a download link: the xlsx itself, or a zip of the csv files */
  download: ExportFile;
  orders: number;
  tickets: number;
}

export interface ExportMailInput {
  exportId: string;
  to: string;
  from: string;
  lang: ExportLang;
  tz: string;
  format: ExportFormat;
  filters: FilterEcho;
  orders: number;
  tickets: number;
  generatedAt: Date;
  /** the files to attach, or null when a download link is sent instead */
  attachments: ExportFile[] | null;
  downloadUrl: string | null;
  linkExpiresAt: Date | null;
}
