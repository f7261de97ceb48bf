/**
 * The list/export filters of SPEC §3: parsed from query-string values
 * (string or repeated string) or from a JSON body (arrays, booleans), with
 * every problem collected so that one response names them all.
 */
import { daysInMonth, parseOffsetMinutes, utcMs } from '../shared/time.js';
import { ORDER_STATUSES, type OrderStatus } from './schemas.js';

export interface OrderFilters {
  /** inclusive lower bound, seconds since the epoch */
  readonly createdFrom?: number;
  /** exclusive upper bound, seconds since the epoch */
  readonly createdTo?: number;
  readonly statuses?: readonly OrderStatus[];
  readonly events?: readonly string[];
  readonly onlyWithCustomer: boolean;
}

/** The filters as the caller wrote them, normalised (for export e-mails and idempotency). */
export interface FilterEcho {
  created_at?: string;
  status?: OrderStatus[];
  events?: string[];
  only_with_customer?: boolean;
}

export const MAX_EVENTS = 1000;
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

type Raw = unknown;

const STATUS_ALIASES: Record<string, OrderStatus> = { canceled: 'cancelled' };

/** Splits a comma list given as a string, repeated strings or an array; blanks around items are ignored. */
function listItems(name: string, raw: Raw, errors: string[]): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parts = Array.isArray(raw) ? raw : [raw];
  const items: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') {
      errors.push(`${name} must be a comma-separated string or an array of strings`);
      return undefined;
    }
    for (const item of part.split(',')) {
      const trimmed = item.trim();
      if (trimmed !== '') items.push(trimmed);
    }
  }
  return items;
}

function single(name: string, raw: Raw, errors: string[]): Raw {
  if (Array.isArray(raw)) {
    if (raw.length === 1) return raw[0];
    errors.push(`${name} must be given once`);
    return undefined;
  }
  return raw;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

interface Bound {
  /** first instant covered, ms since the epoch */
  start: number;
  /** first instant after the span written (the precision), ms */
  end: number;
}

/**
 * An ISO 8601 date or date-time and the span its precision covers:
 * `2020-07-28` the day, `…T13` the hour, `…T13:00` the minute, `…T13:00:00`
 * the second, `…T13:00:00.5` the tenth of a second.
 */
export function parseBound(text: string): Bound | undefined {
  // An unencoded '+' in a query string arrives as a space: `T10:00 03:00`.
  const value = text.replace(/^(.+[T ]\d{2}(?::\d{2}){0,2}(?:[.,]\d+)?) (\d{2}(?::?\d{2})?)$/, '$1+$2');
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = m[8] === undefined ? 0 : parseOffsetMinutes(m[8]);
  if (offset === undefined) return undefined;
  const fraction = m[7];
  const unit =
    m[4] === undefined
      ? 86_400_000
      : m[5] === undefined
        ? 3_600_000
        : m[6] === undefined
          ? 60_000
          : fraction === undefined
            ? 1000
            : 1000 / 10 ** fraction.length;
  const start =
    utcMs(year, month - 1, day, hour, minute, second) +
    (fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000) -
    offset * 60_000;
  return { start, end: start + unit };
}

function parseCreatedAt(raw: Raw, errors: string[]): { from?: number; to?: number; echo?: string } {
  const value = single('created_at', raw, errors);
  if (value === undefined || value === null) return {};
  if (typeof value !== 'string') {
    errors.push('created_at must be a string "FROM,TO"');
    return {};
  }
  if (value.trim() === '') return {};
  const parts = value.split(',');
  if (parts.length !== 2) {
    errors.push(
      `created_at must be "FROM,TO" with exactly one comma (either side may be empty, e.g. "2020-01-01," or ",2020-02-01"), got "${value}"`,
    );
    return {};
  }
  const [fromText, toText] = parts.map((p) => p.trim()) as [string, string];
  let from: Bound | undefined;
  let to: Bound | undefined;
  let ok = true;
  if (fromText !== '') {
    from = parseBound(fromText);
    if (!from) {
      errors.push(`created_at FROM "${fromText}" is not an ISO 8601 date or date-time (e.g. 2020-07-28 or 2020-07-28T13:00:00+03:00)`);
      ok = false;
    }
  }
  if (toText !== '') {
    to = parseBound(toText);
    if (!to) {
      errors.push(`created_at TO "${toText}" is not an ISO 8601 date or date-time (e.g. 2020-07-28 or 2020-07-28T13:00:00+03:00)`);
      ok = false;
    }
  }
  if (!ok) return {};
  if (from && to && from.start >= to.end) {
    errors.push(`created_at FROM "${fromText}" is after TO "${toText}"`);
    return {};
  }
  // Stored timestamps are whole seconds: t >= start  <=>  t >= ceil(start);
  // t < end  <=>  t < ceil(end).
  return {
    ...(from ? { from: Math.ceil(from.start / 1000) } : {}),
    ...(to ? { to: Math.ceil(to.end / 1000) } : {}),
    ...(from || to ? { echo: `${fromText},${toText}` } : {}),
  };
}

function parseStatuses(raw: Raw, errors: string[]): OrderStatus[] | undefined {
  const items = listItems('status', raw, errors);
  if (!items || items.length === 0) return undefined;
  const statuses = new Set<OrderStatus>();
  for (const item of items) {
    const status = STATUS_ALIASES[item] ?? item;
    if ((ORDER_STATUSES as readonly string[]).includes(status)) statuses.add(status as OrderStatus);
    else errors.push(`status "${item}" is not a valid order status; valid values: ${ORDER_STATUSES.join(', ')}`);
  }
  return [...statuses];
}

function parseEvents(raw: Raw, errors: string[]): string[] | undefined {
  const items = listItems('events', raw, errors);
  if (!items || items.length === 0) return undefined;
  const events = new Set<string>();
  for (const item of items) {
    if (/^[0-9a-fA-F]{24}$/.test(item)) events.add(item.toLowerCase());
    else errors.push(`events: "${item}" is not an event id (24 hex characters)`);
  }
  if (events.size > MAX_EVENTS) errors.push(`events may list at most ${MAX_EVENTS} ids`);
  return [...events];
}

export function parseBoolean(name: string, raw: Raw, errors: string[]): boolean | undefined {
  const value = single(name, raw, errors);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === '') return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
  }
  errors.push(`${name} must be true or false (1 or 0 also accepted), got ${JSON.stringify(value)}`);
  return undefined;
}

/** Parses the four filters; problems are appended to `errors`. */
export function parseOrderFilters(input: Record<string, Raw>, errors: string[]): { filters: OrderFilters; echo: FilterEcho } {
  const created = parseCreatedAt(input.created_at, errors);
  const statuses = parseStatuses(input.status, errors);
  const events = parseEvents(input.events, errors);
  const onlyWithCustomer = parseBoolean('only_with_customer', input.only_with_customer, errors) ?? false;
  const filters: OrderFilters = {
    ...(created.from !== undefined ? { createdFrom: created.from } : {}),
    ...(created.to !== undefined ? { createdTo: created.to } : {}),
    ...(statuses ? { statuses } : {}),
    ...(events ? { events } : {}),
    onlyWithCustomer,
  };
  const echo: FilterEcho = {
    ...(created.echo !== undefined ? { created_at: created.echo } : {}),
    ...(statuses ? { status: statuses } : {}),
    ...(events ? { events } : {}),
    ...(onlyWithCustomer ? { only_with_customer: true } : {}),
  };
  return { filters, echo };
}

function parseInteger(name: string, raw: Raw, errors: string[], min: number, max: number, message: string): number | undefined {
  const value = single(name, raw, errors);
  if (value === undefined) return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text)) {
    errors.push(message);
    return undefined;
  }
  // Beyond 2^53 a page number is certainly past the end and is answered as
  // such; only a number too long to be finite at all is refused.
  const n = Number(text);
  if (!Number.isFinite(n)) {
    errors.push(`${name} is too large`);
    return undefined;
  }
  if (n < min || n > max) {
    errors.push(message);
    return undefined;
  }
  return n;
}

export interface Paging {
  readonly page: number;
  readonly pageSize: number;
}

export function parsePaging(input: Record<string, Raw>, errors: string[]): Paging {
  const page = parseInteger('page', input.page, errors, 1, Number.POSITIVE_INFINITY, 'page must be an integer ≥ 1');
  const pageSize = parseInteger(
    'page_size',
    input.page_size,
    errors,
    1,
    MAX_PAGE_SIZE,
    `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`,
  );
  return { page: page ?? 1, pageSize: pageSize ?? DEFAULT_PAGE_SIZE };
}

/** Rows to skip for a page; null when past 2^53, i.e. past the end of any table (answer with the total only). */
export function pageOffset({ page, pageSize }: Paging): number | null {
  const offset = (page - 1) * pageSize;
  return Number.isSafeInteger(offset) ? offset : null;
}
