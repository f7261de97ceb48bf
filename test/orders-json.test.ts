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
import { JsonWriter, type JsonSql } from '../src/db/json.js';
import type { EventTable, PartnerTable } from '../src/db/types.js';
import { EventMapper, OrderMapper, PartnerMapper } from '../src/orders/mappers.js';
import { Partner, type Order } from '../src/orders/schemas.js';
import { apiObjects, expectedEvent, expectedOrder, inSchemaOrder } from './support/api-objects.js';
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

  // Any code point SQLite can hold: lone surrogate halves reach it as U+FFFD
  // (better-sqlite3 encodes UTF-8); U+0000 included.
  const { order, event, partner } = apiObjects(fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(LONE_SURROGATE, '\ufffd')));

  /** Each order's JSON as the database writes it, by id. */
  async function ordersJson(): Promise<Map<string, string>> {
    const rows = await t.db.kysely.selectFrom('orders').select(['orders.id', w.text(OrderMapper.json(w)).as('json')]).execute();
    return new Map(rows.map((r) => [r.id, r.json]));
  }

  /** The rows put in `table` (emptied first), read back as the JSON SQLite writes for each, by id. */
  async function writtenBack(table: 'events' | 'partners', rows: EventTable[] | PartnerTable[], json: JsonSql): Promise<Map<string, string>> {
    await clearOrders(t.db, { catalog: true });
    await t.db.kysely.insertInto(table).values(rows).execute();
    const read = await t.db.kysely.selectFrom(table).select(['id', w.text(json).as('json')]).execute();
    return new Map(read.map((r) => [r.id, r.json]));
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
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(event, { minLength: 1, maxLength: 20, selector: (e) => e.id }), async (events) => {
        const json = await writtenBack('events', events.map((e) => EventMapper.toRow(e)), EventMapper.json(w));
        for (const e of events) expect(json.get(e.id)).toBe(JSON.stringify(expectedEvent(e)));
      }),
      { numRuns: 30 },
    );
  });

  it('a partner is the JSON of its API object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(partner, { minLength: 1, maxLength: 20, selector: (p) => p.id }), async (partners) => {
        const json = await writtenBack('partners', partners.map((p) => PartnerMapper.toRow(p)), PartnerMapper.json(w));
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
