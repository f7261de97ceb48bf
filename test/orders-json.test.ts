/**
 * The API's JSON as SQLite writes it (orders/mappers.ts json(), db/json.ts):
 * for random objects imported as rows, the text is byte for byte
 * JSON.stringify of the API object with its keys in the schema's order —
 * escaping, nulls, absent keys, money, timestamps (years 0000..9999) and the
 * stored JSON columns included. (From PostgreSQL's rows the JSON is written
 * in JavaScript, held to the same by src/orders/mappers.test.ts.) SQLite
 * only, as the writer is.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonWriter } from '../src/db/json.js';
import { EventMapper, hasCustomerData, OrderMapper, PartnerMapper } from '../src/orders/mappers.js';
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
} from '../src/orders/schemas.js';
import { formatMoney } from '../src/shared/money.js';
import { formatTimestamp } from '../src/shared/time.js';
import { clearOrders, createTestDb, type TestDb } from './support/db.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

describe('JSON written by SQLite', () => {
  let t: TestDb;
  let w: JsonWriter;
  beforeAll(async () => {
    t = await createTestDb('sqlite');
    w = new JsonWriter();
  });
  afterAll(async () => {
    await t.drop();
  });

  /** The object's keys in the order the schema lists them (absent keys stay absent). */
  function inSchemaOrder(value: Record<string, unknown>, schema: { properties: Record<string, unknown> }): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(schema.properties)) if (key in value) out[key] = value[key];
    expect(Object.keys(value).filter((k) => !(k in schema.properties))).toEqual([]);
    return out;
  }
  /** What stored JSON gives back: the value as JSON.parse(JSON.stringify()) sees it. */
  const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

  // Any code point SQLite can hold: lone surrogate halves reach it as U+FFFD
  // (better-sqlite3 encodes UTF-8); U+0000 included.
  const text = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(LONE_SURROGATE, '\ufffd'));
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


  /** Each order's JSON as the database writes it, by id. */
  async function ordersJson(): Promise<Map<string, string>> {
    const rows = await t.db.kysely.selectFrom('orders').select(['orders.id', w.text(OrderMapper.json(w)).as('json')]).execute();
    return new Map(rows.map((r) => [r.id, r.json]));
  }

  // distinct ids and numbers across a batch; ticket ids made distinct too
  const orders = fc
    .uniqueArray(order, { minLength: 1, maxLength: 15, selector: (o) => o.id })
    .filter((os) => new Set(os.map((o) => o.number)).size === os.length)
    .map((os) => os.map((o, i) => ({ ...o, tickets: o.tickets.map((tk, j) => ({ ...tk, id: `${i.toString(16).padStart(12, '0')}${j.toString(16).padStart(12, '0')}` })) })));

  it('an order (with its tickets) is the JSON of its API object, imported → listed', async () => {
    await fc.assert(
      fc.asyncProperty(orders, async (batch) => {
        await clearOrders(t.db);
        for (const o of batch) {
          const rows = OrderMapper.toRows(o);
          await t.db.kysely.insertInto('orders').values(rows.order).execute();
          if (rows.tickets.length) await t.db.kysely.insertInto('tickets').values(rows.tickets).execute();
        }
        const json = await ordersJson();
        for (const o of batch) expect(json.get(o.id)).toBe(JSON.stringify(expectedOrder(o)));
      }),
      { numRuns: 40 },
    );
  });

  it('an event is the JSON of its API object', async () => {
    const event: fc.Arbitrary<Event> = fc.record({
      id,
      org: id,
      title: fc.record({ text, desc: nullableText }),
      lifetime: fc.record({ start: timestamp, finish: timestamp }),
      status: fc.constantFrom(...EVENT_STATUSES),
      timezone: text,
    });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(event, { minLength: 1, maxLength: 20, selector: (e) => e.id }), async (events) => {
        await clearOrders(t.db, { catalog: true });
        await t.db.kysely.insertInto('events').values(events.map((e) => EventMapper.toRow(e))).execute();
        const rows = await t.db.kysely.selectFrom('events').select(['events.id', w.text(EventMapper.json(w)).as('json')]).execute();
        const json = new Map(rows.map((r) => [r.id, r.json]));
        for (const e of events) {
          const expected = inSchemaOrder(
            { ...e, title: inSchemaOrder(e.title, Event.properties.title), lifetime: inSchemaOrder(e.lifetime, Event.properties.lifetime) },
            Event,
          );
          expect(json.get(e.id)).toBe(JSON.stringify(expected));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('a partner is the JSON of its API object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.record({ id, name: text }), { minLength: 1, maxLength: 20, selector: (p) => p.id }), async (partners) => {
        await clearOrders(t.db, { catalog: true });
        await t.db.kysely.insertInto('partners').values(partners.map((p) => PartnerMapper.toRow(p))).execute();
        const rows = await t.db.kysely.selectFrom('partners').select(['partners.id', w.text(PartnerMapper.json(w)).as('json')]).execute();
        const json = new Map(rows.map((r) => [r.id, r.json]));
        for (const p of partners) expect(json.get(p.id)).toBe(JSON.stringify(inSchemaOrder(p, Partner)));
      }),
      { numRuns: 30 },
    );
  });

  it('escapes what JSON must escape in text from rows', async () => {
    const o = fc.sample(order, { numRuns: 1, seed: 1 })[0]!;
    const tricky = `a"b\\c\n\u0000\u001f\u007f\u2028 «ё» 🎫`;
    await clearOrders(t.db);
    const rows = OrderMapper.toRows({ ...o, settings: { ...o.settings, customer: { name: tricky, email: null, phone: null, lang: null } } });
    await t.db.kysely.insertInto('orders').values(rows.order).execute();
    const json = (await ordersJson()).get(o.id)!;
    expect((JSON.parse(json) as Order).settings.customer?.name).toBe(tricky);
    expect(json).toContain(`"a\\"b\\\\c\\n\\u0000\\u001f\u007f\u2028 «ё» 🎫"`);
  });
});
