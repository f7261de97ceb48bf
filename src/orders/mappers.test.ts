import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRow, OrderRow, TicketRow } from '../db/types.js';
import { formatMoney } from '../shared/money.js';
import { formatTimestamp } from '../shared/time.js';
import { EventMapper, hasCustomerData, OrderMapper, PartnerMapper, TicketMapper } from './mappers.js';
import {
  Customer,
  Event,
  EVENT_STATUSES,
  LANGS,
  Order,
  ORDER_STATUSES,
  ORIGINS,
  Partner,
  Ticket,
  TICKET_STATUSES,
} from './schemas.js';

// toJson writes JSON text by hand; these properties pin it to what
// JSON.stringify gives for the same API object with its keys in the schema's
// order — escaping, nulls, absent keys and the stored JSON columns included.

/** The object's keys in the order the schema lists them (absent keys stay absent). */
function inSchemaOrder(value: Record<string, unknown>, schema: { properties: Record<string, unknown> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) if (key in value) out[key] = value[key];
  expect(Object.keys(value).filter((k) => !(k in schema.properties))).toEqual([]);
  return out;
}
/** What stored JSON gives back: the value as JSON.parse(JSON.stringify()) sees it. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// any code point, lone surrogate halves included: JSON.stringify escapes those
const text = fc.string({ unit: 'binary', maxLength: 12 });
const nullableText = fc.option(text, { nil: null });
const id = fc.stringMatching(/^[0-9a-f]{24}$/);
const money = fc.integer({ min: -999_999_999_999, max: 999_999_999_999 }).map(formatMoney);
// years 0000..9999, the API's range
const timestamp = fc.integer({ min: -62_167_219_200, max: 253_402_300_799 }).map(formatTimestamp);
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

/** The order as the list must show it: customer only with customer data, keys in schema order. */
function expectedOrder(o: Order): Record<string, unknown> {
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

describe('mappers: rows written as JSON text', () => {
  it('an order (with its tickets) is the JSON of its API object, imported → listed', () => {
    fc.assert(
      fc.property(order, (o) => {
        const rows = OrderMapper.toRows(o);
        const tickets = rows.tickets.map((t) => TicketMapper.toJson(t as TicketRow));
        expect(OrderMapper.toJson(rows.order as OrderRow, tickets)).toBe(JSON.stringify(expectedOrder(o)));
      }),
      { numRuns: 500 },
    );
  });

  it('an event is the JSON of its API object', () => {
    const event: fc.Arbitrary<Event> = fc.record({
      id,
      org: id,
      title: fc.record({ text, desc: nullableText }),
      lifetime: fc.record({ start: timestamp, finish: timestamp }),
      status: fc.constantFrom(...EVENT_STATUSES),
      timezone: text,
    });
    fc.assert(
      fc.property(event, (e) => {
        const expected = inSchemaOrder(
          {
            ...e,
            title: inSchemaOrder(e.title, Event.properties.title),
            lifetime: inSchemaOrder(e.lifetime, Event.properties.lifetime),
          },
          Event,
        );
        expect(EventMapper.toJson(EventMapper.toRow(e) as EventRow)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('a partner is the JSON of its API object', () => {
    fc.assert(
      fc.property(fc.record({ id, name: text }), (p) => {
        expect(PartnerMapper.toJson(PartnerMapper.toRow(p))).toBe(JSON.stringify(inSchemaOrder(p, Partner)));
      }),
    );
  });

  it('escapes what JSON must escape in text from rows', () => {
    const o = fc.sample(order, { numRuns: 1, seed: 1 })[0]!;
    const tricky = 'a"b\\c\n\u0000\u001f\u2028\ud800 «ё»';
    const withText = { ...o, settings: { ...o.settings, customer: { name: tricky, email: null, phone: null, lang: null } } };
    const rows = OrderMapper.toRows(withText);
    const json = OrderMapper.toJson(rows.order as OrderRow, []);
    expect((JSON.parse(json) as Order).settings.customer?.name).toBe(tricky);
    expect(json).toContain(String.raw`"a\"b\\c\n\u0000\u001f` + '\u2028' + String.raw`\ud800 «ё»"`);
  });
});
