/**
 * Tenant isolation of GET /v2/resources/orders (SPEC §2): a partner sees
 * exactly the orders whose org or vendor it is, and nothing about others —
 * not in data, total, refs, nor through a filter.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrdersPage } from '../src/orders/schemas.js';
import { authFor, testApp } from './support/app.js';
import { CUSTOMER, Dataset, newestFirst, type Event, type Order, type Partner } from './support/builders.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';
import { getOrders, ids, listOk } from './support/http.js';

const ds = new Dataset('d4');
const orgA = ds.partner('Organiser A');
const orgB = ds.partner('Organiser B');
const vendor = ds.partner('Vendor V');
const outsider = ds.partner('Outsider X');
const selfSeller = ds.partner('Organiser C, sells its own tickets');

const evA1 = ds.event(orgA);
const evA2 = ds.event(orgA);
const evAEmpty = ds.event(orgA); // no orders at all
const evB1 = ds.event(orgB);
const evC1 = ds.event(selfSeller);

const o = {
  a1: ds.order({ event: evA1, created_at: '2020-03-01 10:00:00', customer: CUSTOMER }),
  a2v: ds.order({ event: evA1, vendor, created_at: '2020-03-02 10:00:00', status: 'cancelled' }),
  a3v: ds.order({ event: evA2, vendor, created_at: '2020-03-03 10:00:00', customer: CUSTOMER }),
  b1v: ds.order({ event: evB1, vendor, created_at: '2020-03-04 10:00:00' }),
  b2: ds.order({ event: evB1, created_at: '2020-03-05 10:00:00', status: 'expired' }),
  // organiser A acting as a seller of organiser B's event
  b3a: ds.order({ event: evB1, vendor: orgA, created_at: '2020-03-06 10:00:00' }),
  // C is both org and vendor of its order
  c1: ds.order({ event: evC1, vendor: selfSeller, created_at: '2020-03-07 10:00:00' }),
};
const allOrders = Object.values(o);
const allEvents = [evA1, evA2, evAEmpty, evB1, evC1];
const allPartners = [orgA, orgB, vendor, outsider, selfSeller];

interface Expectation {
  orders: Order[];
  events: Event[];
  partners: Partner[];
}

const expected: Record<string, Expectation> = {
  vendor: { orders: [o.a2v, o.a3v, o.b1v], events: [evA1, evA2, evB1], partners: [orgA, orgB, vendor] },
  orgA: { orders: [o.a1, o.a2v, o.a3v, o.b3a], events: [evA1, evA2, evB1], partners: [orgA, orgB, vendor] },
  orgB: { orders: [o.b1v, o.b2, o.b3a], events: [evB1], partners: [orgB, vendor, orgA] },
  outsider: { orders: [], events: [], partners: [] },
  selfSeller: { orders: [o.c1], events: [evC1], partners: [selfSeller] },
};
const partnerByName: Record<string, Partner> = { vendor, orgA, orgB, outsider, selfSeller };

const byId = <T extends { id: string }>(items: T[]): Record<string, T> => Object.fromEntries(items.map((i) => [i.id, i]));

describe.each(DIALECTS)('tenancy (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  const auth: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDb(dialect);
    await ds.load(t.db);
    app = await testApp(t.db);
    for (const [name, p] of Object.entries(partnerByName)) auth[name] = await authFor(t.db, p.id);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  /** Nothing in the raw response mentions an order, event or partner the caller may not see. */
  function expectNoLeak(body: string, name: string, page: OrdersPage): void {
    const visible = expected[name]!;
    const okIds = new Set([...visible.orders, ...visible.events, ...visible.partners].map((x) => x.id));
    for (const x of [...allOrders, ...allEvents, ...allPartners]) {
      if (!okIds.has(x.id)) expect(body, `${name} must not see ${x.id}`).not.toContain(x.id);
    }
    const shownOrders = new Set(ids(page));
    for (const ord of allOrders) {
      if (!shownOrders.has(ord.id)) for (const tk of ord.tickets) expect(body).not.toContain(tk.id);
    }
  }

  it.each(Object.keys(expected))('%s sees exactly its orders, with exactly their refs', async (name) => {
    const res = await getOrders(app, auth[name], 'page_size=200');
    expect(res.statusCode).toBe(200);
    const page = res.json<OrdersPage>();
    const want = expected[name]!;
    expect(page.data).toEqual(newestFirst(want.orders));
    expect(page.pagination).toEqual({ page: 1, page_size: 200, total: want.orders.length });
    expect(page.refs.events).toEqual(byId(want.events));
    expect(page.refs.partners).toEqual(byId(want.partners));
    expectNoLeak(res.body, name, page);
  });

  it('the vendor sees only orders where it is the vendor', async () => {
    const page = await listOk(app, auth.vendor!);
    for (const ord of page.data) expect(ord.vendor).toBe(vendor.id);
    expect(page.pagination.total).toBe(3);
  });

  it("the organiser sees its orders, including those sold by vendors, plus orders it sold for others", async () => {
    const page = await listOk(app, auth.orgA!);
    for (const ord of page.data) expect(ord.org === orgA.id || ord.vendor === orgA.id).toBe(true);
    expect(page.data.filter((ord) => ord.org === orgA.id && ord.vendor === vendor.id).map((x) => x.id).sort()).toEqual(
      [o.a2v.id, o.a3v.id].sort(),
    );
  });

  it('the outsider sees total 0 and empty refs, whatever the filters', async () => {
    for (const query of ['', 'status=done,cancelled,expired', `events=${evA1.id},${evB1.id}`, 'only_with_customer=true', 'created_at=2000-01-01,']) {
      const res = await getOrders(app, auth.outsider!, query);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ data: [], pagination: { page: 1, page_size: 50, total: 0 }, refs: { events: {}, partners: {} } });
    }
  });

  it('a partner that is both org and vendor of an order sees it once', async () => {
    const page = await listOk(app, auth.selfSeller!);
    expect(ids(page)).toEqual([o.c1.id]);
    expect(page.pagination.total).toBe(1);
    expect(page.refs.partners).toEqual({ [selfSeller.id]: selfSeller });
  });

  describe("another partner's event id", () => {
    it.each<[string, Event, Order[]]>([
      ['orgB filters by A\'s event', evA1, []],
      ['outsider filters by A\'s event', evA2, []],
      ['vendor filters by A\'s event without its sales', evAEmpty, []],
      ['orgA filters by C\'s event', evC1, []],
      ['selfSeller filters by B\'s event', evB1, []],
    ])('%s → 200, total 0, same answer as an unknown id', async (name, ev) => {
      const who = name.split(' ')[0]!;
      const res = await getOrders(app, auth[who], `events=${ev.id}`);
      const unknown = await getOrders(app, auth[who], `events=${'e'.repeat(24)}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ data: [], pagination: { page: 1, page_size: 50, total: 0 }, refs: { events: {}, partners: {} } });
      expect(res.body).toBe(unknown.body);
    });

    it('an event shared through sales shows only the caller\'s own orders of it', async () => {
      // B's event: the vendor sold b1v; A sold b3a; b2 is B's alone.
      expect(ids(await listOk(app, auth.vendor!, `events=${evB1.id}`))).toEqual([o.b1v.id]);
      expect(ids(await listOk(app, auth.orgA!, `events=${evB1.id}`))).toEqual([o.b3a.id]);
      expect(ids(await listOk(app, auth.orgB!, `events=${evB1.id}`))).toEqual(newestFirst([o.b1v, o.b2, o.b3a]).map((x) => x.id));
    });
  });

  it('totals under filters count only visible orders', async () => {
    // status=cancelled: only a2v is cancelled; B must not count it.
    expect((await listOk(app, auth.orgB!, 'status=cancelled')).pagination.total).toBe(0);
    expect((await listOk(app, auth.vendor!, 'status=cancelled')).pagination.total).toBe(1);
    // with customer: a1 and a3v; the vendor sees only a3v.
    expect(ids(await listOk(app, auth.vendor!, 'only_with_customer=true'))).toEqual([o.a3v.id]);
    expect((await listOk(app, auth.orgA!, 'only_with_customer=true')).pagination.total).toBe(2);
    // a time window holding b2 only (B's order, not shared)
    expect((await listOk(app, auth.orgA!, 'created_at=2020-03-05,2020-03-05')).pagination.total).toBe(0);
    expect((await listOk(app, auth.orgB!, 'created_at=2020-03-05,2020-03-05')).pagination.total).toBe(1);
  });

  it('paging past the end for one partner reports that partner\'s total only', async () => {
    const page = await listOk(app, auth.vendor!, 'page=2&page_size=3');
    expect(page).toEqual({ data: [], pagination: { page: 2, page_size: 3, total: 3 }, refs: { events: {}, partners: {} } });
  });
});
