/**
 * Property: for random data and random filter combinations, the endpoint
 * returns exactly what a plain in-memory filter over the same orders returns
 * (visibility, every filter, order, paging, total and refs).
 *
 * The oracle is written differently from the implementation on purpose: a
 * created_at bound is checked by truncating the order's local time to the
 * precision written and comparing, not by computing an instant interval.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importLines } from '../src/import/service.js';
import { Ajv } from 'ajv';
import { OrdersPage } from '../src/orders/schemas.js';
import { authFor, testApp } from './support/app.js';
import { DIALECTS, clearOrders, createTestDb, type TestDb } from './support/db.js';

const PARTNERS = ['a00000000000000000000001', 'a00000000000000000000002', 'a00000000000000000000003'];
const EVENTS = [
  { id: 'e00000000000000000000001', org: PARTNERS[0]! },
  { id: 'e00000000000000000000002', org: PARTNERS[0]! },
  { id: 'e00000000000000000000003', org: PARTNERS[1]! },
];
const STATUSES = ['executed', 'in_progress', 'done', 'cancelled', 'expired'] as const;
const BASE = Date.UTC(2024, 0, 31, 22, 0, 0) / 1000;

interface Spec {
  event: number;
  vendor: number | null;
  status: (typeof STATUSES)[number];
  /** seconds after BASE: clustered so equal created_at values happen */
  at: number;
  customer: 'none' | 'empty' | 'name' | 'phone';
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  event: fc.integer({ min: 0, max: EVENTS.length - 1 }),
  vendor: fc.option(fc.integer({ min: 0, max: PARTNERS.length - 1 }), { nil: null }),
  status: fc.constantFrom(...STATUSES),
  // clustered near BASE (a month boundary), and spread over months so that
  // ranges cover whole months (counted from order_counts) and partial ones
  at: fc.oneof(
    fc.constantFrom(0, 59, 60, 3599, 3600, 7200, 86399, 86400),
    fc.integer({ min: -3 * 86400, max: 3 * 86400 }),
    fc.integer({ min: -120 * 86400, max: 120 * 86400 }),
  ),
  customer: fc.constantFrom('none', 'empty', 'name', 'phone'),
});

type Precision = 'day' | 'hour' | 'minute' | 'second';
interface BoundSpec {
  at: number;
  precision: Precision;
  offset: number;
}
const boundArb: fc.Arbitrary<BoundSpec> = fc
  .record({
    at: fc.oneof(fc.integer({ min: -4 * 86400, max: 4 * 86400 }), fc.integer({ min: -125 * 86400, max: 125 * 86400 })),
    precision: fc.constantFrom<Precision>('day', 'hour', 'minute', 'second'),
    offset: fc.constantFrom(0, 180, -300, 330),
  })
  .map((b) => (b.precision === 'day' ? { ...b, offset: 0 } : b));

interface Query {
  from?: BoundSpec;
  to?: BoundSpec;
  statuses?: (typeof STATUSES | 'canceled')[number][];
  statusForm: 'comma' | 'repeat';
  events?: number[];
  onlyWithCustomer?: boolean;
  page: number;
  pageSize: number;
  partner: number;
}
const queryArb: fc.Arbitrary<Query> = fc.record(
  {
    from: boundArb,
    to: boundArb,
    statuses: fc.subarray([...STATUSES, 'canceled' as const], { minLength: 1 }),
    statusForm: fc.constantFrom<'comma' | 'repeat'>('comma', 'repeat'),
    events: fc.subarray([0, 1, 2], { minLength: 1 }),
    onlyWithCustomer: fc.boolean(),
    page: fc.integer({ min: 1, max: 4 }),
    pageSize: fc.integer({ min: 1, max: 7 }),
    partner: fc.integer({ min: 0, max: PARTNERS.length - 1 }),
  },
  { requiredKeys: ['statusForm', 'page', 'pageSize', 'partner'] },
);

/** The documented response schema (what fast-json-stringify would have enforced). */
const matchesSchema = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(OrdersPage);

const UNIT: Record<Precision, number> = { day: 86400, hour: 3600, minute: 60, second: 1 };
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The bound as a client writes it: local time at the offset, cut to the precision. */
function written(b: BoundSpec): { text: string; local: number } {
  const local = Math.floor((BASE + b.at + b.offset * 60) / UNIT[b.precision]) * UNIT[b.precision];
  const d = new Date(local * 1000);
  let text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  if (b.precision !== 'day') {
    text += `T${pad(d.getUTCHours())}`;
    if (b.precision !== 'hour') text += `:${pad(d.getUTCMinutes())}`;
    if (b.precision === 'second') text += `:${pad(d.getUTCSeconds())}`;
    const sign = b.offset < 0 ? '-' : '+';
    const abs = Math.abs(b.offset);
    text += b.offset === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
  return { text, local };
}
/** The order's local time at the bound's offset, truncated to the bound's precision. */
const truncated = (t: number, b: BoundSpec) => Math.floor((t + b.offset * 60) / UNIT[b.precision]) * UNIT[b.precision];

function orderJson(i: number, s: Spec) {
  const event = EVENTS[s.event]!;
  const vendor = s.vendor === null ? null : PARTNERS[s.vendor]!;
  const created = BASE + s.at;
  const ts = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const id = `0${i.toString(16).padStart(23, '0')}`;
  const customer =
    s.customer === 'none'
      ? undefined
      : s.customer === 'empty'
        ? { name: '', email: null, phone: '  ', lang: 'ru' }
        : s.customer === 'name'
          ? { name: 'Имя', email: null, phone: null, lang: 'ru' }
          : { name: null, email: null, phone: '+7 900', lang: 'en' };
  return {
    id,
    number: i + 1,
    code: null,
    status: s.status,
    created_at: ts(created),
    done_at: null,
    expired_after: ts(created + 900),
    event: event.id,
    org: event.org,
    vendor,
    origin: 'api',
    promocodes: [],
    settings: { invitation: false, send_tickets: false, subscribe_agree: false, ...(customer ? { customer } : {}) },
    tickets: [],
    values: { price: '0.00', discount: '0.00', nominal: '0.00', extra: '0.00', full: '0.00', sets_values: {}, viral_promocodes: [] },
    vendor_data: {},
  };
}

describe.each(DIALECTS)('list = in-memory filter (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  const auth: string[] = [];
  beforeAll(async () => {
    t = await createTestDb(dialect);
    await importLines(t.db, [
      ...PARTNERS.map((id, i) => JSON.stringify({ partner: { id, name: `Partner ${i}` } })),
      ...EVENTS.map((e, i) =>
        JSON.stringify({
          event: {
            id: e.id,
            org: e.org,
            title: { text: `Event ${i}`, desc: null },
            lifetime: { start: '2024-03-01 18:00:00', finish: '2024-03-01 21:00:00' },
            status: 'public',
            timezone: 'Europe/Moscow',
          },
        }),
      ),
    ]);
    for (const p of PARTNERS) auth.push(await authFor(t.db, p));
    app = await testApp(t.db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { maxLength: 40 }),
        fc.array(fc.record({ index: fc.nat(), spec: specArb }), { maxLength: 8 }),
        fc.array(queryArb, { minLength: 1, maxLength: 6 }),
        async (first, rewrites, queries) => {
        await clearOrders(t.db);
        await importLines(t.db, first.map((s, i) => JSON.stringify({ order: orderJson(i, s) })));
        // Re-import some orders changed (status, time, event, vendor,
        // customer): the list, its totals included, must follow.
        const specs = [...first];
        const changed = new Set<number>();
        for (const r of first.length ? rewrites : []) {
          const i = r.index % first.length;
          specs[i] = r.spec;
          changed.add(i);
        }
        if (changed.size) await importLines(t.db, [...changed].map((i) => JSON.stringify({ order: orderJson(i, specs[i]!) })));
        const orders = specs.map((s, i) => orderJson(i, s));

        for (const q of queries) {
          const params = new URLSearchParams();
          const from = q.from && written(q.from);
          const to = q.to && written(q.to);
          if (from || to) params.set('created_at', `${from?.text ?? ''},${to?.text ?? ''}`);
          if (q.statuses) {
            if (q.statusForm === 'comma') params.set('status', q.statuses.join(' , '));
            else for (const s of q.statuses) params.append('status', s);
          }
          if (q.events) params.set('events', q.events.map((e) => EVENTS[e]!.id).join(','));
          if (q.onlyWithCustomer !== undefined) params.set('only_with_customer', String(q.onlyWithCustomer));
          params.set('page', String(q.page));
          params.set('page_size', String(q.pageSize));
          const res = await app.inject({ url: `/v2/resources/orders?${params}`, headers: { authorization: auth[q.partner]! } });

          // FROM after TO: the written FROM starts at or after the end of the TO span.
          if (q.from && q.to && from && to) {
            const fromStart = from.local - q.from.offset * 60;
            const toEnd = to.local + UNIT[q.to.precision] - q.to.offset * 60;
            if (fromStart >= toEnd) {
              expect(res.statusCode).toBe(400);
              continue;
            }
          }
          expect(res.statusCode, res.body).toBe(200);

          const me = PARTNERS[q.partner]!;
          const statuses = q.statuses?.map((s) => (s === 'canceled' ? 'cancelled' : s));
          const expected = orders
            .filter((o, i) => {
              const s = specs[i]!;
              const created = BASE + s.at;
              if (o.org !== me && o.vendor !== me) return false;
              if (q.from && from && truncated(created, q.from) < from.local) return false;
              if (q.to && to && truncated(created, q.to) > to.local) return false;
              if (statuses && !statuses.includes(o.status)) return false;
              if (q.events && !q.events.map((e) => EVENTS[e]!.id).includes(o.event)) return false;
              if (q.onlyWithCustomer && (s.customer === 'none' || s.customer === 'empty')) return false;
              return true;
            })
            .sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1));
          const page = expected.slice((q.page - 1) * q.pageSize, q.page * q.pageSize);
          const body = res.json() as {
            data: { id: string; settings: { customer?: unknown } }[];
            pagination: unknown;
            refs: { events: Record<string, unknown>; partners: Record<string, unknown> };
          };
          expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
          expect(matchesSchema(body), JSON.stringify(matchesSchema.errors)).toBe(true);
          expect(body.pagination).toEqual({ page: q.page, page_size: q.pageSize, total: expected.length });
          expect(body.data.map((o) => o.id)).toEqual(page.map((o) => o.id));
          expect(body.data).toEqual(
            page.map((o) => {
              const { settings, ...rest } = o;
              const { customer, ...flags } = settings;
              const has = customer && [customer.name, customer.email, customer.phone].some((v) => typeof v === 'string' && v.trim() !== '');
              return { ...rest, settings: has ? settings : flags };
            }),
          );
          expect(Object.keys(body.refs.events).sort()).toEqual([...new Set(page.map((o) => o.event))].sort());
          expect(Object.keys(body.refs.partners).sort()).toEqual(
            [...new Set(page.flatMap((o) => (o.vendor ? [o.org, o.vendor] : [o.org])))].sort(),
          );
        }
        },
      ),
      { numRuns: 40 },
    );
  });
});
