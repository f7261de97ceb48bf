/**
 * Validation of one import line (SPEC §7): the API's own shapes, checked
 * against the same schemas the API serialises with, then the rules a schema
 * cannot say (real calendar dates, the money rules).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parseMoney } from '../shared/money.js';
import { parseTimestamp } from '../shared/time.js';
import { Event, Order, Partner } from '../orders/schemas.js';

export type ImportItem = { kind: 'partner'; value: Partner } | { kind: 'event'; value: Event } | { kind: 'order'; value: Order };

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validators: Record<ImportItem['kind'], ValidateFunction> = {
  partner: ajv.compile(Partner),
  event: ajv.compile(Event),
  order: ajv.compile(Order),
};

function path(kind: string, instancePath: string): string {
  return (kind + instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.')).replace(/\.\[/g, '[');
}

function describe(kind: string, e: ErrorObject): string {
  const where = path(kind, e.instancePath);
  const custom = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  switch (e.keyword) {
    case 'required':
      return `${where} is missing "${String(e.params.missingProperty)}"`;
    case 'additionalProperties':
      return `${where} has an unknown field "${String(e.params.additionalProperty)}"`;
    case 'pattern':
    case 'enum':
      return `${where} ${custom ?? e.message ?? 'is invalid'}, got ${JSON.stringify(e.data)}`;
    default:
      return `${where} ${custom && e.keyword === 'type' ? custom : (e.message ?? 'is invalid')}`;
  }
}

function checkTimestamps(kind: string, pairs: [string, string | null][], problems: string[]): void {
  for (const [name, value] of pairs) {
    if (value !== null && parseTimestamp(value) === undefined) problems.push(`${kind}.${name} is not a real date and time: "${value}"`);
  }
}

function checkOrderRules(order: Order, problems: string[]): void {
  checkTimestamps('order', [
    ['created_at', order.created_at],
    ['done_at', order.done_at],
    ['expired_after', order.expired_after],
  ], problems);
  const sums = { price: 0, discount: 0, nominal: 0, extra: 0, full: 0 };
  order.tickets.forEach((t, i) => {
    const [price, discount, nominal, extra, full] = [t.price, t.discount, t.nominal, t.extra, t.full].map((m) => parseMoney(m)!) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (nominal !== price - discount) problems.push(`order.tickets[${i}]: nominal ${t.nominal} must equal price ${t.price} − discount ${t.discount}`);
    if (full !== nominal + extra) problems.push(`order.tickets[${i}]: full ${t.full} must equal nominal ${t.nominal} + extra ${t.extra}`);
    sums.price += price;
    sums.discount += discount;
    sums.nominal += nominal;
    sums.extra += extra;
    sums.full += full;
  });
  for (const field of ['price', 'discount', 'nominal', 'extra', 'full'] as const) {
    if (parseMoney(order.values[field]) !== sums[field]) {
      problems.push(`order.values.${field} ${order.values[field]} must equal the sum of its tickets' ${field} (${(sums[field] / 100).toFixed(2)})`);
    }
  }
  for (const [key, value] of Object.entries(order.values.sets_values)) {
    if (value.id !== key) problems.push(`order.values.sets_values["${key}"].id must equal its key, got "${value.id}"`);
  }
  const seen = new Set<string>();
  for (const t of order.tickets) {
    if (seen.has(t.id)) problems.push(`order.tickets: ticket id ${t.id} appears twice`);
    seen.add(t.id);
  }
}

/** Parses and validates one line; returns the item or the problems found in it. */
export function validateLine(text: string): { item: ImportItem } | { problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { problems: [`not valid JSON (${(err as Error).message})`] };
  }
  const keys = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed) : [];
  const kind = keys[0];
  if (keys.length !== 1 || (kind !== 'partner' && kind !== 'event' && kind !== 'order')) {
    return { problems: ['expected one object: {"partner": {…}}, {"event": {…}} or {"order": {…}}'] };
  }
  const value = (parsed as Record<string, unknown>)[kind];
  const validate = validators[kind];
  if (!validate(value)) {
    return { problems: (validate.errors ?? []).slice(0, 10).map((e) => describe(kind, e)) };
  }
  const problems: string[] = [];
  if (kind === 'event') {
    const event = value as Event;
    checkTimestamps('event', [
      ['lifetime.start', event.lifetime.start],
      ['lifetime.finish', event.lifetime.finish],
    ], problems);
    if (!isTimeZone(event.timezone)) problems.push(`event.timezone "${event.timezone}" is not an IANA time zone`);
  }
  if (kind === 'order') checkOrderRules(value as Order, problems);
  if (problems.length > 0) return { problems };
  return { item: { kind, value } as ImportItem };
}

const zones = new Map<string, boolean>();
export function isTimeZone(name: string): boolean {
  let ok = zones.get(name);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      ok = true;
    } catch {
      ok = false;
    }
    zones.set(name, ok);
  }
  return ok;
}
