/**
 * The columns of the two tables (SPEC §4 "File contents"), shared by the xlsx
 * and csv writers: header in both languages, kind of cell, and how to read the
 * value from a row.
 */
import type { ExportLang, ExportOrderRow, ExportTicketRow } from '../types.js';

/**
 * - `text`: a string cell; guarded against formula injection.
 * - `int`: an integer (numbers, counts).
 * - `money`: minor units; 150.00 in the file.
 * - `time`: UTC seconds; shown in the export's time zone.
 * - `seat`: a number stays a number, a string is `text`.
 */
export type CellKind = 'text' | 'int' | 'money' | 'time' | 'seat';

export type CellValue = string | number | null;

export interface Column<R> {
  /** the row field the value comes from (the database formats the same field for a csv COPY) */
  key: keyof R & string;
  en: string;
  ru: string;
  kind: CellKind;
  /** xlsx column width in characters */
  width: number;
  value: (row: R) => CellValue;
}

export const ORDER_COLUMNS: readonly Column<ExportOrderRow>[] = [
  { key: 'number', en: 'Number', ru: 'Номер', kind: 'int', width: 12, value: (r) => r.number },
  { key: 'code', en: 'Code', ru: 'Код', kind: 'text', width: 11, value: (r) => r.code },
  { key: 'id', en: 'ID', ru: 'ID', kind: 'text', width: 26, value: (r) => r.id },
  { key: 'status', en: 'Status', ru: 'Статус', kind: 'text', width: 12, value: (r) => r.status },
  { key: 'created_at', en: 'Created at', ru: 'Создан', kind: 'time', width: 20, value: (r) => r.created_at },
  { key: 'done_at', en: 'Done at', ru: 'Выполнен', kind: 'time', width: 20, value: (r) => r.done_at },
  { key: 'expired_after', en: 'Reserved until', ru: 'Бронь до', kind: 'time', width: 20, value: (r) => r.expired_after },
  { key: 'event_id', en: 'Event ID', ru: 'ID события', kind: 'text', width: 26, value: (r) => r.event_id },
  { key: 'event_title', en: 'Event title', ru: 'Событие', kind: 'text', width: 30, value: (r) => r.event_title },
  { key: 'event_start', en: 'Event start', ru: 'Начало события', kind: 'time', width: 20, value: (r) => r.event_start },
  { key: 'org_id', en: 'Organizer ID', ru: 'ID организатора', kind: 'text', width: 26, value: (r) => r.org_id },
  { key: 'org_name', en: 'Organizer', ru: 'Организатор', kind: 'text', width: 24, value: (r) => r.org_name },
  { key: 'vendor_id', en: 'Vendor ID', ru: 'ID агента', kind: 'text', width: 26, value: (r) => r.vendor_id },
  { key: 'vendor_name', en: 'Vendor', ru: 'Агент', kind: 'text', width: 24, value: (r) => r.vendor_name },
  { key: 'origin', en: 'Origin', ru: 'Источник', kind: 'text', width: 14, value: (r) => r.origin },
  { key: 'customer_name', en: 'Customer name', ru: 'Имя покупателя', kind: 'text', width: 24, value: (r) => r.customer_name },
  { key: 'customer_email', en: 'Customer email', ru: 'Email покупателя', kind: 'text', width: 26, value: (r) => r.customer_email },
  { key: 'customer_phone', en: 'Customer phone', ru: 'Телефон покупателя', kind: 'text', width: 18, value: (r) => r.customer_phone },
  { key: 'tickets_count', en: 'Tickets', ru: 'Билетов', kind: 'int', width: 9, value: (r) => r.tickets_count },
  { key: 'price', en: 'Price', ru: 'Цена', kind: 'money', width: 12, value: (r) => r.price },
  { key: 'discount', en: 'Discount', ru: 'Скидка', kind: 'money', width: 12, value: (r) => r.discount },
  { key: 'nominal', en: 'Nominal', ru: 'Номинал', kind: 'money', width: 12, value: (r) => r.nominal },
  { key: 'extra', en: 'Extra', ru: 'Сбор', kind: 'money', width: 12, value: (r) => r.extra },
  { key: 'full', en: 'Full', ru: 'Итого', kind: 'money', width: 12, value: (r) => r.full },
  { key: 'promocodes', en: 'Promocodes', ru: 'Промокоды', kind: 'text', width: 26, value: (r) => (r.promocodes.length ? r.promocodes.join(', ') : null) },
];

export const TICKET_COLUMNS: readonly Column<ExportTicketRow>[] = [
  { key: 'order_number', en: 'Order number', ru: 'Номер заказа', kind: 'int', width: 12, value: (r) => r.order_number },
  { key: 'order_id', en: 'Order ID', ru: 'ID заказа', kind: 'text', width: 26, value: (r) => r.order_id },
  { key: 'order_status', en: 'Order status', ru: 'Статус заказа', kind: 'text', width: 12, value: (r) => r.order_status },
  { key: 'ticket_id', en: 'Ticket ID', ru: 'ID билета', kind: 'text', width: 26, value: (r) => r.ticket_id },
  { key: 'ticket_number', en: 'Ticket number', ru: 'Номер билета', kind: 'int', width: 12, value: (r) => r.ticket_number },
  { key: 'serial', en: 'Serial', ru: 'Серия', kind: 'text', width: 12, value: (r) => r.serial },
  { key: 'barcode', en: 'Barcode', ru: 'Штрихкод', kind: 'text', width: 16, value: (r) => r.barcode },
  { key: 'set_id', en: 'Set ID', ru: 'ID категории', kind: 'text', width: 26, value: (r) => r.set_id },
  { key: 'status', en: 'Ticket status', ru: 'Статус билета', kind: 'text', width: 12, value: (r) => r.status },
  { key: 'seat_row', en: 'Row', ru: 'Ряд', kind: 'seat', width: 8, value: (r) => r.seat_row },
  { key: 'seat_number', en: 'Seat', ru: 'Место', kind: 'seat', width: 8, value: (r) => r.seat_number },
  { key: 'sector', en: 'Sector', ru: 'Сектор', kind: 'seat', width: 14, value: (r) => r.sector },
  { key: 'price', en: 'Price', ru: 'Цена', kind: 'money', width: 12, value: (r) => r.price },
  { key: 'discount', en: 'Discount', ru: 'Скидка', kind: 'money', width: 12, value: (r) => r.discount },
  { key: 'nominal', en: 'Nominal', ru: 'Номинал', kind: 'money', width: 12, value: (r) => r.nominal },
  { key: 'extra', en: 'Extra', ru: 'Сбор', kind: 'money', width: 12, value: (r) => r.extra },
  { key: 'full', en: 'Full', ru: 'Итого', kind: 'money', width: 12, value: (r) => r.full },
];

function headers<R>(columns: readonly Column<R>[], lang: ExportLang, tz: string): string[] {
  return columns.map((c) => {
    const name = lang === 'ru' ? c.ru : c.en;
    return c.kind === 'time' ? `${name} (${tz})` : name;
  });
}

/** Headers of the Orders table in a language; timestamp columns name the time zone: «Создан (Europe/Moscow)», "Created at (UTC)". */
export function orderHeaders(lang: ExportLang, tz: string): string[] {
  return headers(ORDER_COLUMNS, lang, tz);
}

/** Headers of the Tickets table in a language (the table has no timestamp columns; `tz` is taken for symmetry). */
export function ticketHeaders(lang: ExportLang, tz: string): string[] {
  return headers(TICKET_COLUMNS, lang, tz);
}

/** Sheet names; continuation sheets get " 2", " 3", … */
export const SHEET_NAMES: Record<ExportLang, { orders: string; tickets: string }> = {
  ru: { orders: 'Заказы', tickets: 'Билеты' },
  en: { orders: 'Orders', tickets: 'Tickets' },
};

/**
 * Characters that make a spreadsheet treat a typed-in or CSV-imported cell as
 * a formula (OWASP "CSV Injection"), plus their full-width forms, which some
 * spreadsheet apps normalise to the ASCII ones. A text cell starting with one
 * of them gets a leading single quote (here and in the csv the database
 * formats, exports/csv-repository.ts).
 */
export const FORMULA_CHARS: readonly string[] = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];
// \uXXXX escapes: '-' and the control characters stay literal inside the class
const FORMULA_START = new RegExp(`^[${FORMULA_CHARS.map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`);

export function looksLikeFormula(text: string): boolean {
  return FORMULA_START.test(text);
}

/** Export file time stamp, UTC: 2026-01-15T10:30:00Z → `20260115-103000`. */
export function fileStamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(date.getUTCFullYear()).padStart(4, '0')}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}` +
    `-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`
  );
}
