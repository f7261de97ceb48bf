/**
 * GET /v2/resources/orders: parameters and results (SPEC §3, §5).
 * Every concern has its own organiser in one dataset, so each partner's list
 * is a small, known set of orders.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrdersPage } from '../src/orders/schemas.js';
import { authFor, testApp } from './support/app.js';
import { CUSTOMER, Dataset, newestFirst, type Customer, type Event, type Order, type Partner } from './support/builders.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';
import { getOrders, ids, listOk } from './support/http.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const MONEY = /^-?\d+\.\d{2}$/;

// ---------------------------------------------------------------- dataset

const ds = new Dataset('a1');

// created_at: one order at each edge.
const timeOrg = ds.partner('Time org');
const timeEvent = ds.event(timeOrg);
const TIMES = [
  '2019-12-31 23:59:59',
  '2020-01-01 00:00:00',
  '2020-02-01 23:59:59',
  '2020-02-02 00:00:00',
  '2020-07-27 23:59:59',
  '2020-07-28 00:00:00',
  '2020-07-28 12:59:59',
  '2020-07-28 13:00:00',
  '2020-07-28 13:00:01',
  '2020-07-28 13:00:59',
  '2020-07-28 13:01:00',
  '2020-07-28 13:59:59',
  '2020-07-28 14:00:00',
  '2020-07-28 23:59:59',
  '2020-07-29 00:00:00',
];
// Inserted out of order so that insertion order cannot pass for list order.
const timeOrders = [...TIMES].reverse().map((created_at, i) => ds.order({ event: timeEvent, created_at, status: i % 2 ? 'done' : 'expired' }));

// years before 2000 (and before the epoch): bounds with two-digit-looking years must not be read as 19xx.
const oldOrg = ds.partner('Old org');
const oldEvent = ds.event(oldOrg);
const oldOrders = [
  ds.order({ event: oldEvent, created_at: '1950-06-01 12:00:00' }),
  ds.order({ event: oldEvent, created_at: '1999-12-31 23:59:59' }),
];

// status: one order per status, two done.
const statusOrg = ds.partner('Status org');
const statusEvent = ds.event(statusOrg);
const byStatus = {
  executed: ds.order({ event: statusEvent, status: 'executed', created_at: '2020-05-01 10:00:00' }),
  in_progress: ds.order({ event: statusEvent, status: 'in_progress', created_at: '2020-05-01 10:00:01' }),
  done: ds.order({ event: statusEvent, status: 'done', created_at: '2020-05-01 10:00:02' }),
  done2: ds.order({ event: statusEvent, status: 'done', created_at: '2020-05-01 10:00:03' }),
  cancelled: ds.order({ event: statusEvent, status: 'cancelled', created_at: '2020-05-01 10:00:04' }),
  expired: ds.order({ event: statusEvent, status: 'expired', created_at: '2020-05-01 10:00:05' }),
};
const statusOrders = Object.values(byStatus);

// events and refs: an organiser with four events (one without orders) and two vendors.
const evOrg = ds.partner('Events org');
const vendor1 = ds.partner('Vendor one');
const vendor2 = ds.partner('Vendor two');
const ev1 = ds.event(evOrg, { title: { text: 'First', desc: 'first event' } });
const ev2 = ds.event(evOrg, { status: 'finished', timezone: 'Asia/Yekaterinburg' });
const ev3 = ds.event(evOrg, { lifetime: { start: '2021-01-01 19:00:00', finish: '2021-01-02 01:30:00' } });
const ev4 = ds.event(evOrg); // no orders
const evOrders = {
  e1v1: ds.order({ event: ev1, vendor: vendor1, created_at: '2020-06-01 10:00:00' }),
  e1: ds.order({ event: ev1, created_at: '2020-06-02 10:00:00' }),
  e2: ds.order({ event: ev2, created_at: '2020-06-03 10:00:00' }),
  e3v2: ds.order({ event: ev3, vendor: vendor2, created_at: '2020-06-04 10:00:00' }),
};
// Another organiser's event (well-formed id the caller cannot see).
const foreignOrg = ds.partner('Foreign org');
const foreignEvent = ds.event(foreignOrg);
const foreignOrder = ds.order({ event: foreignEvent, created_at: '2020-06-05 10:00:00' });

// only_with_customer: full, partial, and empty customers. (`lang: null` is rejected by the
// import schema today, see the report, so every customer here has a lang.)
const custOrg = ds.partner('Customer org');
const custEvent = ds.event(custOrg);
const cust = (customer: Customer | undefined, created_at: string): Order =>
  ds.order({ event: custEvent, created_at, ...(customer === undefined ? {} : { customer }) });
const custOrders = {
  full: cust(CUSTOMER, '2020-04-01 10:00:00'),
  emailOnly: cust({ name: null, email: 'only@example.com', phone: null, lang: 'en' }, '2020-04-01 10:00:01'),
  phoneOnly: cust({ name: '', email: '', phone: '+79001234567', lang: 'en' }, '2020-04-01 10:00:02'),
  nameOnly: cust({ name: 'Anna', email: null, phone: '', lang: 'ru' }, '2020-04-01 10:00:03'),
  emptyStrings: cust({ name: '', email: '', phone: '', lang: 'ru' }, '2020-04-01 10:00:04'),
  nulls: cust({ name: null, email: null, phone: null, lang: 'ru' }, '2020-04-01 10:00:05'),
  none: cust(undefined, '2020-04-01 10:00:06'),
};
const withCustomer = [custOrders.full, custOrders.emailOnly, custOrders.phoneOnly, custOrders.nameOnly];

// paging: 11 orders with ties on created_at; ties inserted in ascending id order.
const pageOrg = ds.partner('Paging org');
const pageEvent = ds.event(pageOrg);
const PAGE_TIMES = [
  '2021-03-01 09:00:00',
  '2021-03-01 10:00:00',
  '2021-03-01 08:00:00',
  '2021-03-01 10:00:00',
  '2021-03-01 11:00:00',
  '2021-03-01 09:00:00',
  '2021-03-01 10:00:00',
  '2021-02-28 23:59:59',
  '2021-03-01 12:00:00',
  '2021-03-01 07:30:00',
  '2021-03-01 10:00:00',
];
const pageOrders = PAGE_TIMES.map((created_at) => ds.order({ event: pageEvent, created_at }));

// default page size: 55 orders.
const bigOrg = ds.partner('Big org');
const bigEvent = ds.event(bigOrg);
const bigOrders = Array.from({ length: 55 }, (_, i) =>
  ds.order({ event: bigEvent, created_at: `2021-01-01 ${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00` }),
);

// format: odd cents, several tickets, a seat, a customer, a vendor.
const fmtOrg = ds.partner('Format org');
const fmtVendor = ds.partner('Format vendor');
const fmtEvent = ds.event(fmtOrg, { title: { text: 'KoЯn', desc: 'ауц' } });
const fmtOrder = ds.order({
  event: fmtEvent,
  vendor: fmtVendor,
  customer: CUSTOMER,
  created_at: '2019-07-25 14:56:16',
  origin: 'widget',
  vendor_data: { source: 'test', n: 1 },
  tickets: [
    { price: 4612 },
    { price: 100000, discount: 12345, extra: 5, seat: { row: '3', number: 14, sector: 'Parterre' } },
  ],
});

function expectIds(page: OrdersPage, expected: readonly Order[]): void {
  expect(ids(page)).toEqual(newestFirst(expected).map((o) => o.id));
  expect(page.pagination.total).toBe(expected.length);
}

// ---------------------------------------------------------------- tests

describe.each(DIALECTS)('GET /v2/resources/orders (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  const auth: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDb(dialect);
    await ds.load(t.db);
    app = await testApp(t.db);
    for (const [name, p] of Object.entries({ timeOrg, oldOrg, statusOrg, evOrg, custOrg, pageOrg, bigOrg, fmtOrg }) as [string, Partner][]) {
      auth[name] = await authFor(t.db, p.id);
    }
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('created_at', () => {
    const sel = (pred: (ts: string) => boolean) => timeOrders.filter((o) => pred(o.created_at));

    it('without the parameter, lists every order of the partner', async () => {
      expectIds(await listOk(app, auth.timeOrg!, 'page_size=200'), timeOrders);
    });

    it.each<[string, string, (ts: string) => boolean]>([
      ['date-only bounds include the whole day', '2020-07-28,2020-07-28', (ts) => ts >= '2020-07-28 00:00:00' && ts <= '2020-07-28 23:59:59'],
      ['TO minute includes the whole minute (13:00:59 in, 13:01:00 out)', ',2020-07-28T13:00', (ts) => ts <= '2020-07-28 13:00:59'],
      ['TO second includes that whole second only', ',2020-07-28T13:00:00', (ts) => ts <= '2020-07-28 13:00:00'],
      ['TO hour includes the whole hour', ',2020-07-28T13', (ts) => ts <= '2020-07-28 13:59:59'],
      ['TO date includes the whole day', ',2020-07-27', (ts) => ts <= '2020-07-27 23:59:59'],
      ['FROM date is inclusive', '2020-07-28,', (ts) => ts >= '2020-07-28 00:00:00'],
      ['FROM minute is inclusive', '2020-07-28T13:00,', (ts) => ts >= '2020-07-28 13:00:00'],
      ['FROM second is inclusive', '2020-07-28T13:00:59,', (ts) => ts >= '2020-07-28 13:00:59'],
      ['FROM and TO the same minute', '2020-07-28T13:00,2020-07-28T13:00', (ts) => ts >= '2020-07-28 13:00:00' && ts <= '2020-07-28 13:00:59'],
      ['FROM and TO the same second', '2020-07-28T13:00:59,2020-07-28T13:00:59', (ts) => ts === '2020-07-28 13:00:59'],
      [
        'fractional seconds: FROM rounds up, TO covers its tenth',
        '2020-07-28T12:59:59.5,2020-07-28T13:00:00.5',
        (ts) => ts === '2020-07-28 13:00:00',
      ],
      ['open end: FROM only', '2020-01-01,', (ts) => ts >= '2020-01-01 00:00:00'],
      ['open start: TO only', ',2020-02-01', (ts) => ts <= '2020-02-01 23:59:59'],
      ['blanks around the bounds are ignored', '%202020-07-28%20,%202020-07-28%20', (ts) => ts.startsWith('2020-07-28')],
      ['Z offset', '2020-07-28T13:00Z,2020-07-28T13:00Z', (ts) => ts >= '2020-07-28 13:00:00' && ts <= '2020-07-28 13:00:59'],
      [
        '+03:00 offset (encoded)',
        '2020-07-28T16:00:00%2B03:00,2020-07-28T16:00:59%2B03:00',
        (ts) => ts >= '2020-07-28 13:00:00' && ts <= '2020-07-28 13:00:59',
      ],
      [
        'unencoded + (arrives as a space) is read as an offset',
        '2020-07-28T16:00+03:00,2020-07-28T16:00+03:00',
        (ts) => ts >= '2020-07-28 13:00:00' && ts <= '2020-07-28 13:00:59',
      ],
      [
        'unencoded + on a TO with seconds',
        ',2020-07-28T02:59:59+03:00',
        (ts) => ts <= '2020-07-27 23:59:59',
      ],
      [
        'negative offset',
        '2020-07-28T08:00-05:00,2020-07-28T08:59:59-05:00',
        (ts) => ts >= '2020-07-28 13:00:00' && ts <= '2020-07-28 13:59:59',
      ],
      [
        'offset moves a bound across midnight',
        '2020-07-28T00:00:00%2B03:00,2020-07-28T02:59:59%2B03:00',
        (ts) => ts >= '2020-07-27 21:00:00' && ts <= '2020-07-27 23:59:59',
      ],
    ])('%s (%s)', async (_name, value, pred) => {
      const expected = sel(pred);
      expect(expected.length).toBeGreaterThan(0); // the case must select something
      expect(expected.length).toBeLessThan(timeOrders.length); // ... and exclude something
      expectIds(await listOk(app, auth.timeOrg!, `page_size=200&created_at=${value}`), expected);
    });

    it('a valid range with no orders gives 200 and total 0', async () => {
      const page = await listOk(app, auth.timeOrg!, 'created_at=2020-02-29,2020-02-29');
      expect(page.data).toEqual([]);
      expect(page.pagination.total).toBe(0);
    });

    it('an empty value means no filter', async () => {
      expectIds(await listOk(app, auth.timeOrg!, 'page_size=200&created_at='), timeOrders);
    });

    it('years 0001-0099 are those years, not 1901-1999', async () => {
      expectIds(await listOk(app, auth.oldOrg!, 'created_at=,0099-12-31'), []);
      expectIds(await listOk(app, auth.oldOrg!, 'created_at=0050-01-01,0050-12-31'), []);
      expectIds(await listOk(app, auth.oldOrg!, 'created_at=0001-01-01,'), oldOrders);
      expectIds(await listOk(app, auth.oldOrg!, 'created_at=0099-01-01,1950-06-01T12:00:00'), [oldOrders[0]!]);
      expectIds(await listOk(app, auth.oldOrg!, 'created_at=1950-06-01,1999-12-31'), oldOrders);
    });

    it('the filter combines with status', async () => {
      const page = await listOk(app, auth.timeOrg!, 'page_size=200&created_at=2020-07-28,2020-07-28&status=expired');
      expectIds(
        page,
        timeOrders.filter((o) => o.created_at.startsWith('2020-07-28') && o.status === 'expired'),
      );
    });
  });

  describe('status', () => {
    const only = (...statuses: string[]) => statusOrders.filter((o) => statuses.includes(o.status));

    it.each<[string, string, string[]]>([
      ['one value', 'status=done', ['done']],
      ['comma list', 'status=done,cancelled', ['done', 'cancelled']],
      ['repeated parameter', 'status=done&status=cancelled', ['done', 'cancelled']],
      ['comma list and repeated mixed', 'status=executed,in_progress&status=expired', ['executed', 'in_progress', 'expired']],
      ['canceled is accepted as cancelled', 'status=canceled', ['cancelled']],
      ['canceled mixed with cancelled', 'status=canceled,cancelled', ['cancelled']],
      ['blanks around items are ignored', 'status=%20done%20,%20expired%20&status=%20executed', ['done', 'expired', 'executed']],
      ['a value given twice', 'status=done,done', ['done']],
      ['every status', 'status=executed,in_progress,done,cancelled,expired', ['executed', 'in_progress', 'done', 'cancelled', 'expired']],
    ])('%s (%s)', async (_name, query, statuses) => {
      const page = await listOk(app, auth.statusOrg!, query);
      expectIds(page, only(...statuses));
      for (const o of page.data) expect(statuses).toContain(o.status);
    });

    it('cancelled orders filtered as canceled come back with status "cancelled"', async () => {
      const page = await listOk(app, auth.statusOrg!, 'status=canceled');
      expect(page.data.map((o) => o.status)).toEqual(['cancelled']);
    });

    it('an empty value means no filter', async () => {
      expectIds(await listOk(app, auth.statusOrg!, 'status='), statusOrders);
      expectIds(await listOk(app, auth.statusOrg!, 'status=%20'), statusOrders);
    });
  });

  describe('events', () => {
    const all = Object.values(evOrders);

    it('comma list', async () => {
      expectIds(await listOk(app, auth.evOrg!, `events=${ev1.id},${ev3.id}`), [evOrders.e1v1, evOrders.e1, evOrders.e3v2]);
    });

    it('repeated parameter, and both mixed', async () => {
      expectIds(await listOk(app, auth.evOrg!, `events=${ev2.id}&events=${ev3.id}`), [evOrders.e2, evOrders.e3v2]);
      expectIds(await listOk(app, auth.evOrg!, `events=${ev1.id},${ev2.id}&events=${ev3.id}`), all);
    });

    it('uppercase hex is accepted', async () => {
      expectIds(await listOk(app, auth.evOrg!, `events=${ev1.id.toUpperCase()}`), [evOrders.e1v1, evOrders.e1]);
    });

    it('blanks around items are ignored and an empty value means no filter', async () => {
      expectIds(await listOk(app, auth.evOrg!, `events=%20${ev2.id}%20,`), [evOrders.e2]);
      expectIds(await listOk(app, auth.evOrg!, 'events='), all);
    });

    it("an event of the partner's without orders matches nothing", async () => {
      const page = await listOk(app, auth.evOrg!, `events=${ev4.id}`);
      expect(page).toEqual({ data: [], pagination: { page: 1, page_size: 50, total: 0 }, refs: { events: {}, partners: {} } });
    });

    it("another partner's event id gives 200 with total 0, exactly like an unknown id", async () => {
      const foreign = await getOrders(app, auth.evOrg!, `events=${foreignEvent.id}`);
      const unknown = await getOrders(app, auth.evOrg!, `events=${'f'.repeat(24)}`);
      expect(foreign.statusCode).toBe(200);
      expect(foreign.json()).toEqual({ data: [], pagination: { page: 1, page_size: 50, total: 0 }, refs: { events: {}, partners: {} } });
      expect(foreign.body).toBe(unknown.body);
      expect(foreign.body).not.toContain(foreignOrder.id);
    });

    it("another partner's event id next to an own one adds nothing", async () => {
      expectIds(await listOk(app, auth.evOrg!, `events=${foreignEvent.id},${ev2.id}`), [evOrders.e2]);
    });
  });

  describe('only_with_customer', () => {
    const allCust = Object.values(custOrders);

    it.each(['true', 'TRUE', 'True', '1'])('%s keeps only orders with customer data', async (value) => {
      expectIds(await listOk(app, auth.custOrg!, `only_with_customer=${value}`), withCustomer);
    });

    it.each(['false', 'FALSE', 'False', '0', ''])('"%s" keeps every order', async (value) => {
      expectIds(await listOk(app, auth.custOrg!, `only_with_customer=${value}`), allCust);
    });

    it('a customer with only empty strings or nulls is no customer: no settings.customer in the output', async () => {
      const page = await listOk(app, auth.custOrg!);
      const byId = new Map(page.data.map((o) => [o.id, o]));
      for (const o of [custOrders.emptyStrings, custOrders.nulls, custOrders.none]) {
        const got = byId.get(o.id)!;
        expect(got.settings).not.toHaveProperty('customer');
        expect(got.settings).toEqual({ invitation: false, send_tickets: true, subscribe_agree: false });
      }
    });

    it('an order with customer data carries it in settings.customer as imported', async () => {
      const page = await listOk(app, auth.custOrg!, 'only_with_customer=true');
      const byId = new Map(page.data.map((o) => [o.id, o]));
      for (const o of withCustomer) expect(byId.get(o.id)!.settings.customer).toEqual(o.settings.customer);
    });
  });

  describe('page and page_size', () => {
    const sorted = newestFirst(pageOrders);

    it('defaults to page 1 of 50', async () => {
      const page = await listOk(app, auth.bigOrg!);
      expect(page.pagination).toEqual({ page: 1, page_size: 50, total: 55 });
      expect(ids(page)).toEqual(newestFirst(bigOrders).slice(0, 50).map((o) => o.id));
      const second = await listOk(app, auth.bigOrg!, 'page=2');
      expect(second.pagination).toEqual({ page: 2, page_size: 50, total: 55 });
      expect(ids(second)).toEqual(newestFirst(bigOrders).slice(50).map((o) => o.id));
    });

    it('page_size 1 and 200 are accepted', async () => {
      const one = await listOk(app, auth.bigOrg!, 'page_size=1');
      expect(one.data).toHaveLength(1);
      expect(one.pagination).toEqual({ page: 1, page_size: 1, total: 55 });
      const max = await listOk(app, auth.bigOrg!, 'page_size=200');
      expect(max.data).toHaveLength(55);
      expect(max.pagination).toEqual({ page: 1, page_size: 200, total: 55 });
    });

    it('orders are created_at desc, then id desc (ties included)', async () => {
      const page = await listOk(app, auth.pageOrg!);
      expect(ids(page)).toEqual(sorted.map((o) => o.id));
      // the dataset really has ties, and the ties really are ordered by id desc
      const tie = page.data.filter((o) => o.created_at === '2021-03-01 10:00:00').map((o) => o.id);
      expect(tie).toHaveLength(4);
      expect(tie).toEqual([...tie].sort().reverse());
    });

    it('walking every page with page_size 3 gives the full sorted list, each order once', async () => {
      const walked: string[] = [];
      for (let p = 1; p <= 4; p++) {
        const page = await listOk(app, auth.pageOrg!, `page=${p}&page_size=3`);
        expect(page.pagination).toEqual({ page: p, page_size: 3, total: 11 });
        expect(page.data).toHaveLength(p < 4 ? 3 : 2);
        walked.push(...ids(page));
      }
      expect(walked).toEqual(sorted.map((o) => o.id));
    });

    it('a page past the end: data [], the right total, empty refs', async () => {
      const page = await listOk(app, auth.pageOrg!, 'page=5&page_size=3');
      expect(page).toEqual({ data: [], pagination: { page: 5, page_size: 3, total: 11 }, refs: { events: {}, partners: {} } });
    });

    it('a huge page number: 200, data [], the right total', async () => {
      const page = await listOk(app, auth.pageOrg!, 'page=99999999999999999999');
      expect(page.data).toEqual([]);
      expect(page.pagination.total).toBe(11);
      expect(page.pagination.page_size).toBe(50);
      expect(page.pagination.page).toBeGreaterThan(1e19);
      expect(page.refs).toEqual({ events: {}, partners: {} });
    });

    it('a large but representable page past the end: 200, data []', async () => {
      const page = await listOk(app, auth.pageOrg!, 'page=1000000000&page_size=200');
      expect(page).toEqual({ data: [], pagination: { page: 1000000000, page_size: 200, total: 11 }, refs: { events: {}, partners: {} } });
    });

    it('the total counts every matching order while data holds one page', async () => {
      const page = await listOk(app, auth.timeOrg!, 'created_at=2020-07-28,2020-07-28&page_size=2&page=2');
      const expected = newestFirst(timeOrders.filter((o) => o.created_at.startsWith('2020-07-28')));
      expect(page.pagination.total).toBe(expected.length);
      expect(ids(page)).toEqual(expected.slice(2, 4).map((o) => o.id));
    });
  });

  describe('refs', () => {
    it('hold exactly the events of the orders in data and the partners they reference', async () => {
      const page = await listOk(app, auth.evOrg!);
      expect(page.refs.events).toEqual({ [ev1.id]: ev1, [ev2.id]: ev2, [ev3.id]: ev3 });
      expect(page.refs.partners).toEqual({
        [evOrg.id]: evOrg,
        [vendor1.id]: vendor1,
        [vendor2.id]: vendor2,
      });
    });

    it('follow the page, not the whole result', async () => {
      // newest first: e3v2 (ev3, vendor2), e2 (ev2), e1 (ev1), e1v1 (ev1, vendor1)
      const first = await listOk(app, auth.evOrg!, 'page_size=1');
      expect(ids(first)).toEqual([evOrders.e3v2.id]);
      expect(first.refs.events).toEqual({ [ev3.id]: ev3 });
      expect(first.refs.partners).toEqual({ [evOrg.id]: evOrg, [vendor2.id]: vendor2 });

      const second = await listOk(app, auth.evOrg!, 'page_size=1&page=2');
      expect(ids(second)).toEqual([evOrders.e2.id]);
      expect(second.refs.events).toEqual({ [ev2.id]: ev2 });
      expect(second.refs.partners).toEqual({ [evOrg.id]: evOrg });
    });

    it('follow the filters', async () => {
      const page = await listOk(app, auth.evOrg!, `events=${ev1.id}`);
      expect(page.refs.events).toEqual({ [ev1.id]: ev1 });
      expect(page.refs.partners).toEqual({ [evOrg.id]: evOrg, [vendor1.id]: vendor1 });
      const noVendor = await listOk(app, auth.evOrg!, `events=${ev2.id}`);
      expect(Object.keys(noVendor.refs.partners)).toEqual([evOrg.id]);
    });

    it('every id referenced by data is in refs', async () => {
      for (const query of ['', 'page_size=2', 'page_size=2&page=2', `events=${ev3.id}`]) {
        const page = await listOk(app, auth.evOrg!, query);
        const events = new Set(page.data.map((o) => o.event));
        const partners = new Set(page.data.flatMap((o) => (o.vendor === null ? [o.org] : [o.org, o.vendor])));
        for (const e of Object.values(page.refs.events)) partners.add(e.org);
        expect(new Set(Object.keys(page.refs.events))).toEqual(events);
        expect(new Set(Object.keys(page.refs.partners))).toEqual(partners);
      }
    });

    it('are empty objects when data is empty', async () => {
      const res = await getOrders(app, auth.evOrg!, 'status=expired');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ data: [], pagination: { page: 1, page_size: 50, total: 0 }, refs: { events: {}, partners: {} } });
      expect(res.body).toContain('"refs":{"events":{},"partners":{}}');
    });
  });

  describe('unknown parameters', () => {
    it('are ignored', async () => {
      const plain = await getOrders(app, auth.evOrg!);
      const extra = await getOrders(app, auth.evOrg!, 'sort=asc&limit=1&offset=3&foo=bar&foo=baz&Status=paid&page_size_x=0');
      expect(extra.statusCode).toBe(200);
      expect(extra.body).toBe(plain.body);
    });
  });

  describe('response format', () => {
    it('is application/json', async () => {
      const res = await getOrders(app, auth.fmtOrg!);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
    });

    it('gives back the imported order exactly, money with two decimals and UTC timestamps', async () => {
      const page = await listOk(app, auth.fmtOrg!);
      expect(page.data).toEqual([fmtOrder]);
      const o = page.data[0]!;
      expect(o.values).toMatchObject({ price: '1046.12', discount: '123.45', nominal: '922.67', extra: '0.05', full: '922.72' });
      expect(o.tickets.map((tk) => [tk.price, tk.discount, tk.nominal, tk.extra, tk.full])).toEqual([
        ['46.12', '0.00', '46.12', '0.00', '46.12'],
        ['1000.00', '123.45', '876.55', '0.05', '876.60'],
      ]);
      expect(o.tickets[1]!.seat).toEqual({ row: '3', number: 14, sector: 'Parterre' });
      expect(o.tickets[0]).not.toHaveProperty('seat');
      expect([o.created_at, o.done_at, o.expired_after]).toEqual(['2019-07-25 14:56:16', '2019-07-25 14:57:46', '2019-07-25 15:11:16']);
      expect(page.refs).toEqual({ events: { [fmtEvent.id]: fmtEvent }, partners: { [fmtOrg.id]: fmtOrg, [fmtVendor.id]: fmtVendor } });
    });

    it('every timestamp is YYYY-MM-DD HH:MM:SS and every money value has two decimals, on every list', async () => {
      for (const [name, query] of [
        ['timeOrg', 'page_size=200'],
        ['statusOrg', ''],
        ['evOrg', ''],
        ['custOrg', ''],
        ['fmtOrg', ''],
      ] as const) {
        const page = await listOk(app, auth[name]!, query);
        expect(page.data.length).toBeGreaterThan(0);
        for (const o of page.data) {
          expect(o.created_at).toMatch(TIMESTAMP);
          expect(o.expired_after).toMatch(TIMESTAMP);
          if (o.done_at !== null) expect(o.done_at).toMatch(TIMESTAMP);
          expect(o.done_at === null).toBe(o.status !== 'done');
          for (const m of [o.values.price, o.values.discount, o.values.nominal, o.values.extra, o.values.full]) expect(m).toMatch(MONEY);
          for (const tk of o.tickets) for (const m of [tk.price, tk.discount, tk.nominal, tk.extra, tk.full]) expect(m).toMatch(MONEY);
          for (const sv of Object.values(o.values.sets_values)) for (const m of [sv.price, sv.nominal, sv.discount]) expect(m).toMatch(MONEY);
        }
        for (const e of Object.values(page.refs.events) as Event[]) {
          expect(e.lifetime.start).toMatch(TIMESTAMP);
          expect(e.lifetime.finish).toMatch(TIMESTAMP);
        }
      }
    });

    it('each order comes back as imported (round trip) for every list', async () => {
      const byId = new Map<string, Order>(ds.lines.flatMap((l) => ('order' in (l as object) ? [(l as { order: Order }).order] : [])).map((o) => [o.id, o]));
      const page = await listOk(app, auth.evOrg!);
      for (const o of page.data) expect(o).toEqual(byId.get(o.id));
      const statusPage = await listOk(app, auth.statusOrg!);
      for (const o of statusPage.data) expect(o).toEqual(byId.get(o.id));
    });
  });
});
