/**
 * Random API objects for the mapping tests (fast-check), and the JSON each
 * must be written as: JSON.stringify of the object with its keys in the
 * schema's order. Shared by the JavaScript writers' unit test
 * (src/orders/mappers.test.ts) and SQLite's (test/orders-json.test.ts).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { hasCustomerData } from '../../src/orders/mappers.js';
import { Customer, EVENT_STATUSES, Event, LANGS, ORDER_STATUSES, ORIGINS, Order, TICKET_STATUSES, Ticket } from '../../src/orders/schemas.js';
import { formatMoney } from '../../src/shared/money.js';
import { formatTimestamp, MAX_SECONDS, MIN_SECONDS } from '../../src/shared/time.js';

/** The object's keys in the order the schema lists them (absent keys stay absent). */
export function inSchemaOrder(value: Record<string, unknown>, schema: { properties: Record<string, unknown> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) if (key in value) out[key] = value[key];
  expect(Object.keys(value).filter((k) => !(k in schema.properties))).toEqual([]);
  return out;
}
/** What stored JSON gives back: the value as JSON.parse(JSON.stringify()) sees it. */
export const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** API objects whose free text comes from `text` (what the store under test can hold). */
export function apiObjects(text: fc.Arbitrary<string>) {
  const nullableText = fc.option(text, { nil: null });
  const id = fc.stringMatching(/^[0-9a-f]{24}$/);
  const money = fc.integer({ min: -999_999_999_999, max: 999_999_999_999 }).map(formatMoney);
  // years 0000..9999, the API's range
  const timestamp = fc.integer({ min: MIN_SECONDS, max: MAX_SECONDS }).map(formatTimestamp);
  const jsonNumber = fc.double({ noNaN: true, noDefaultInfinity: true });
  const seatPart = fc.oneof(text, jsonNumber, fc.integer(), fc.constant(null));
  // a seat's keys in any order: stored and given back in the order imported
  const seat = fc
    .tuple(seatPart, seatPart, seatPart, fc.shuffledSubarray(['row', 'number', 'sector'], { minLength: 3, maxLength: 3 }))
    .map(([a, b, c, keys]) => Object.fromEntries(keys.map((k, i) => [k, [a, b, c][i]])) as Ticket['seat']);

  const ticket: fc.Arbitrary<Ticket> = fc
    .record({
      id,
      number: fc.nat(),
      serial: text,
      barcode: nullableText,
      set: id,
      status: fc.constantFrom(...TICKET_STATUSES),
      price: money,
      discount: money,
      nominal: money,
      extra: money,
      full: money,
      seat: fc.option(seat, { nil: undefined }),
    })
    .map(({ seat: s, ...rest }) => (s === undefined ? rest : { ...rest, seat: s }));

  const customer: fc.Arbitrary<Customer> = fc.record({
    name: fc.option(fc.oneof(text, fc.constantFrom('', ' ', '\t')), { nil: null }),
    email: nullableText,
    phone: nullableText,
    lang: fc.constantFrom(...LANGS, null),
  });

  const order: fc.Arbitrary<Order> = fc
    .record({
      id,
      number: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      code: fc.option(fc.stringMatching(/^[a-z0-9]{8}$/), { nil: null }),
      status: fc.constantFrom(...ORDER_STATUSES),
      created_at: timestamp,
      done_at: fc.option(timestamp, { nil: null }),
      expired_after: timestamp,
      event: id,
      org: id,
      vendor: fc.option(id, { nil: null }),
      origin: fc.constantFrom(...ORIGINS),
      promocodes: fc.array(id, { maxLength: 3 }),
      invitation: fc.boolean(),
      send_tickets: fc.boolean(),
      subscribe_agree: fc.boolean(),
      customer: fc.option(customer, { nil: undefined }),
      tickets: fc.array(ticket, { maxLength: 4 }),
      price: money,
      discount: money,
      nominal: money,
      extra: money,
      full: money,
      sets_values: fc.dictionary(
        id,
        fc.record({ id, price: money, nominal: money, discount: money, promocode: fc.option(id, { nil: null }) }),
        { maxKeys: 3 },
      ),
      viral_promocodes: fc.array(fc.jsonValue(), { maxLength: 3 }),
      vendor_data: fc.dictionary(text, fc.jsonValue(), { maxKeys: 4 }),
    })
    .map(({ invitation, send_tickets, subscribe_agree, customer: c, price, discount, nominal, extra, full, sets_values, viral_promocodes, ...rest }) => ({
      ...rest,
      settings: { invitation, send_tickets, subscribe_agree, ...(c === undefined ? {} : { customer: c }) },
      values: { price, discount, nominal, extra, full, sets_values, viral_promocodes },
    }));

  const event: fc.Arbitrary<Event> = fc.record({
    id,
    org: id,
    title: fc.record({ text, desc: nullableText }),
    lifetime: fc.record({ start: timestamp, finish: timestamp }),
    status: fc.constantFrom(...EVENT_STATUSES),
    timezone: text,
  });
  const partner = fc.record({ id, name: text });
  return { id, order, event, partner };
}

/** The order as the list must show it: customer only with customer data, keys in schema order. */
export function expectedOrder(o: Order): Record<string, unknown> {
  const { customer: c, ...flags } = o.settings;
  const settings = hasCustomerData(c) ? { ...flags, customer: inSchemaOrder(c!, Customer) } : flags;
  return inSchemaOrder(
    {
      ...o,
      promocodes: roundTrip(o.promocodes),
      settings: inSchemaOrder(settings, Order.properties.settings),
      tickets: o.tickets.map((t) => inSchemaOrder({ ...t, ...(t.seat ? { seat: roundTrip(t.seat) } : {}) }, Ticket)),
      values: inSchemaOrder(
        { ...o.values, sets_values: roundTrip(o.values.sets_values), viral_promocodes: roundTrip(o.values.viral_promocodes) },
        Order.properties.values,
      ),
      vendor_data: roundTrip(o.vendor_data),
    },
    Order,
  );
}


/** The event as the list must show it: keys in schema order. */
export function expectedEvent(e: Event): Record<string, unknown> {
  return inSchemaOrder(
    { ...e, title: inSchemaOrder(e.title, Event.properties.title), lifetime: inSchemaOrder(e.lifetime, Event.properties.lifetime) },
    Event,
  );
}
