/**
 * GET /v2/resources/orders: every bad parameter, and the error body (SPEC §3, §6).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFor, testApp } from './support/app.js';
import { Dataset } from './support/builders.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';
import { getOrders, listBad, listOk } from './support/http.js';

const PAGE_SIZE_MESSAGE = 'page_size must be an integer from 1 to 200';
const STATUSES = ['executed', 'in_progress', 'done', 'cancelled', 'expired'];

const ds = new Dataset('b2');
const org = ds.partner('Errors org');
const event = ds.event(org);
ds.order({ event, created_at: '2020-07-28 12:00:00' });
ds.order({ event, created_at: '2020-07-29 12:00:00', status: 'cancelled' });

describe.each(DIALECTS)('GET /v2/resources/orders errors (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  let auth: string;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    await ds.load(t.db);
    app = await testApp(t.db);
    auth = await authFor(t.db, org.id);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('the dataset itself lists fine', async () => {
    const page = await listOk(app, auth);
    expect(page.pagination.total).toBe(2);
  });

  describe('created_at', () => {
    it.each<[string, string]>([
      ['FROM after TO (days)', '2020-07-29,2020-07-28'],
      ['FROM after TO (minutes)', '2020-07-28T13:01,2020-07-28T13:00'],
      ['FROM after TO (seconds)', '2020-07-28T13:00:01,2020-07-28T13:00:00'],
      ['FROM after TO only once offsets are applied', '2020-07-28T13:00Z,2020-07-28T15:59%2B03:00'],
      ['FROM after TO across years', '2021-01-01,2020-12-31T23:59:59'],
    ])('%s → 400 naming both bounds (%s)', async (_name, value) => {
      const body = await listBad(app, auth, `created_at=${value}`);
      expect(body.errors).toHaveLength(1);
      const decoded = decodeURIComponent(value);
      const [from, to] = decoded.split(',') as [string, string];
      expect(body.errors[0]).toContain('created_at');
      expect(body.errors[0]).toContain(from);
      expect(body.errors[0]).toContain(to);
    });

    it.each<[string, string]>([
      ['no comma (date)', '2020-07-28'],
      ['no comma (date-time)', '2020-07-28T13:00:00'],
      ['two commas', '2020-01-01,2020-02-01,2020-03-01'],
      ['only commas', ',,'],
      ['trailing second comma', '2020-01-01,,'],
    ])('%s → 400 (%s)', async (_name, value) => {
      const body = await listBad(app, auth, `created_at=${value}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain('created_at');
      expect(body.errors[0]).toContain(value);
    });

    it.each<[string, string, string]>([
      ['February 30th', '2020-02-30,', '2020-02-30'],
      ['February 29th of a common year', ',2021-02-29', '2021-02-29'],
      ['month 13', '2020-13-01,', '2020-13-01'],
      ['month 00', '2020-00-10,', '2020-00-10'],
      ['day 00', '2020-01-00,', '2020-01-00'],
      ['day 32', ',2020-01-32', '2020-01-32'],
      ['hour 25', ',2020-07-28T25:00', '2020-07-28T25:00'],
      ['hour 24', '2020-07-28T24:00,', '2020-07-28T24:00'],
      ['minute 60', '2020-07-28T12:60,', '2020-07-28T12:60'],
      ['second 60', ',2020-07-28T12:00:60', '2020-07-28T12:00:60'],
      ['a word', 'yesterday,', 'yesterday'],
      ['unpadded month and day', '2020-7-28,', '2020-7-28'],
      ['two-digit year', '20-07-28,', '20-07-28'],
      ['trailing garbage', '2020-07-28T13:00:00abc,', '2020-07-28T13:00:00abc'],
      ['offset out of range', '2020-07-28T13:00%2B25:00,', '2020-07-28T13:00+25:00'],
      ['a Unix timestamp', '1595937600,', '1595937600'],
    ])('%s → 400 naming the value (%s)', async (_name, value, named) => {
      const body = await listBad(app, auth, `created_at=${value}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain('created_at');
      expect(body.errors[0]).toContain(`"${named}"`);
    });

    it('both bounds bad → both named', async () => {
      const body = await listBad(app, auth, 'created_at=2020-02-30,2020-13-01');
      expect(body.errors).toHaveLength(2);
      expect(body.errors.join('\n')).toContain('"2020-02-30"');
      expect(body.errors.join('\n')).toContain('"2020-13-01"');
    });

    it('February 29th of a leap year is a real date', async () => {
      const page = await listOk(app, auth, 'created_at=2020-02-29,2020-02-29');
      expect(page.pagination.total).toBe(0);
    });

    it('given twice → 400 with the error body', async () => {
      await listBad(app, auth, 'created_at=2020-01-01,&created_at=,2020-02-01');
    });
  });

  describe('status', () => {
    it.each(['paid', 'DONE', 'cancel', 'done;cancelled', 'null'])('unknown value %s → 400 naming it and listing the valid ones', async (value) => {
      const body = await listBad(app, auth, `status=${encodeURIComponent(value)}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain(`"${value}"`);
      for (const s of STATUSES) expect(body.errors[0]).toContain(s);
    });

    it('one unknown value among valid ones is still an error', async () => {
      const body = await listBad(app, auth, 'status=done,paid&status=cancelled');
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain('"paid"');
    });

    it('every unknown value is named', async () => {
      const body = await listBad(app, auth, 'status=paid,done&status=%20refunded%20');
      const all = body.errors.join('\n');
      expect(all).toContain('"paid"');
      expect(all).toContain('"refunded"');
      expect(all).not.toContain('"done"');
    });
  });

  describe('events', () => {
    const good = event.id;
    it.each<[string, string]>([
      ['a word', 'xyz'],
      ['23 hex characters', good.slice(1)],
      ['25 hex characters', `${good}0`],
      ['a non-hex character', `${good.slice(0, 23)}g`],
      ['an id with a dash', `${good.slice(0, 12)}-${good.slice(13)}`],
    ])('%s → 400 naming it (%s)', async (_name, value) => {
      const body = await listBad(app, auth, `events=${value}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain('events');
      expect(body.errors[0]).toContain(`"${value}"`);
    });

    it('one malformed id among good ones → 400 naming only the bad one', async () => {
      const body = await listBad(app, auth, `events=${good},nope&events=${good}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain('"nope"');
      expect(body.errors[0]).not.toContain(good);
    });
  });

  describe('only_with_customer', () => {
    it.each(['yes', 'no', '2', 'truee', 'on', 'null', '-1'])('%s → 400', async (value) => {
      const body = await listBad(app, auth, `only_with_customer=${value}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toContain('only_with_customer');
      expect(body.errors[0]).toContain(value);
    });
  });

  describe('page_size', () => {
    it.each(['0', '201', '1.5', '-1', 'abc', '1e2', '10000000000000000000000', '0x10'])(
      '%s → 400 with the exact message',
      async (value) => {
        const res = await getOrders(app, auth, `page_size=${value}`);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ error: 'invalid_request', reason: PAGE_SIZE_MESSAGE, errors: [PAGE_SIZE_MESSAGE] });
      },
    );
  });

  describe('page', () => {
    it.each(['0', 'abc', '-1', '1.5', '1e3', '00'])('%s → 400 naming page', async (value) => {
      const body = await listBad(app, auth, `page=${value}`);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toMatch(/^page /);
    });

    it('given twice → 400 naming it, reported with the other bad parameters', async () => {
      const body = await listBad(app, auth, 'page=1&page=2&created_at=2020-01-01,&created_at=,2020-02-01&page_size=0');
      expect(body.errors).toEqual([
        'created_at must be given once',
        'page must be given once',
        'page_size must be an integer from 1 to 200',
      ]);
    });
  });

  describe('several bad parameters at once', () => {
    it('one 400 whose errors list every one', async () => {
      const body = await listBad(
        app,
        auth,
        'created_at=2020-02-30&status=paid&events=xyz&only_with_customer=maybe&page=0&page_size=500&unknown=1',
      );
      expect(body.errors).toHaveLength(6);
      const find = (re: RegExp) => body.errors.filter((e) => re.test(e));
      expect(find(/^created_at/)).toHaveLength(1);
      expect(find(/status "paid"/)).toHaveLength(1);
      expect(find(/^events.*"xyz"/)).toHaveLength(1);
      expect(find(/^only_with_customer/)).toHaveLength(1);
      expect(find(/^page /)).toHaveLength(1);
      expect(body.errors).toContain(PAGE_SIZE_MESSAGE);
      expect(body.reason).not.toContain('\n');
    });

    it('two bad values of the same list are both reported next to other errors', async () => {
      const body = await listBad(app, auth, 'status=paid,unpaid&page_size=0');
      expect(body.errors).toHaveLength(3);
      expect(body.errors).toContain(PAGE_SIZE_MESSAGE);
    });

    it('a valid filter next to a bad one does not hide the error', async () => {
      const body = await listBad(app, auth, 'status=done&created_at=2020-01-01,2020-02-01&page_size=abc');
      expect(body.errors).toEqual([PAGE_SIZE_MESSAGE]);
    });
  });

  describe('error responses', () => {
    it('are JSON with the right status and exactly error, reason, errors', async () => {
      const res = await getOrders(app, auth, 'page_size=0');
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(Object.keys(res.json()).sort()).toEqual(['error', 'errors', 'reason']);
    });

    it('an unknown /v2 path is a 404 with the error body', async () => {
      const res = await app.inject({ url: '/v2/resources/orderz', headers: { authorization: auth } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
    });
  });
});
