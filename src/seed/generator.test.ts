import { describe, expect, it } from 'vitest';
import { validateLine, type ImportItem } from '../import/validate.js';
import type { Event, Order, Partner } from '../orders/schemas.js';
import { hasCustomerData } from '../orders/mappers.js';
import { parseMoney } from '../shared/money.js';
import { parseTimestamp } from '../shared/time.js';
import { demoPartners, generateSeed } from './generator.js';

const BASE = Date.UTC(2026, 0, 1) / 1000;
const DAY = 86_400;
const N = 3000;

function split(items: ImportItem[]) {
  const partners: Partner[] = [];
  const events: Event[] = [];
  const orders: Order[] = [];
  for (const item of items) {
    if (item.kind === 'partner') partners.push(item.value);
    else if (item.kind === 'event') events.push(item.value);
    else orders.push(item.value);
  }
  return { partners, events, orders };
}

const items = [...generateSeed({ orders: N, seed: 42 })];
const { partners, events, orders } = split(items);
const share = (pred: (o: Order) => boolean) => orders.filter(pred).length / orders.length;

describe('generateSeed', () => {
  it('yields items that pass import validation', () => {
    for (const item of items) {
      const result = validateLine(JSON.stringify({ [item.kind]: item.value }));
      if ('problems' in result) expect.fail(`${item.kind} ${JSON.stringify(item.value)}: ${result.problems.join('; ')}`);
    }
  });

  it('yields partners, then events, then exactly N orders', () => {
    const kinds = items.map((i) => i.kind);
    const firstEvent = kinds.indexOf('event');
    const firstOrder = kinds.indexOf('order');
    expect(kinds.slice(0, firstEvent).every((k) => k === 'partner')).toBe(true);
    expect(kinds.slice(firstEvent, firstOrder).every((k) => k === 'event')).toBe(true);
    expect(kinds.slice(firstOrder).every((k) => k === 'order')).toBe(true);
    expect(orders).toHaveLength(N);
    expect(events.length).toBeGreaterThanOrEqual(40);
    expect(events.length).toBeLessThanOrEqual(60);
  });

  it('is deterministic, and a longer run extends a shorter one', () => {
    const again = JSON.stringify([...generateSeed({ orders: N, seed: 42 })]);
    expect(again).toBe(JSON.stringify(items));
    const shorter = [...generateSeed({ orders: 500, seed: 42 })];
    expect(JSON.stringify(shorter)).toBe(JSON.stringify(items.slice(0, shorter.length)));
    const other = [...generateSeed({ orders: 10, seed: 43 })];
    expect(other[0]?.value.id).not.toBe(items[0]?.value.id);
  });

  it('catalogue does not depend on the number of orders', () => {
    const none = [...generateSeed({ orders: 0, seed: 42 })];
    expect(none.every((i) => i.kind !== 'order')).toBe(true);
    expect(JSON.stringify(none)).toBe(JSON.stringify(items.slice(0, none.length)));
  });

  it('rejects bad options', () => {
    expect(() => generateSeed({ orders: -1, seed: 1 })).toThrow(RangeError);
    expect(() => generateSeed({ orders: 1.5, seed: 1 })).toThrow(RangeError);
    expect(() => generateSeed({ orders: 1, seed: Number.NaN })).toThrow(RangeError);
  });

  it('gives unique ids, order numbers and ticket numbers; ids carry their creation time', () => {
    const ids = new Set<string>();
    const add = (id: string) => {
      expect(ids.has(id), id).toBe(false);
      ids.add(id);
    };
    partners.forEach((p) => add(p.id));
    events.forEach((e) => add(e.id));
    const setIds = new Set<string>();
    for (const o of orders) {
      add(o.id);
      expect(parseInt(o.id.slice(0, 8), 16)).toBe(parseTimestamp(o.created_at));
      for (const t of o.tickets) add(t.id);
      for (const s of Object.keys(o.values.sets_values)) setIds.add(s);
    }
    for (const s of setIds) expect(ids.has(s)).toBe(false);
    expect(new Set(orders.map((o) => o.number)).size).toBe(N);
    const ticketNumbers = orders.flatMap((o) => o.tickets.map((t) => t.number));
    expect(new Set(ticketNumbers).size).toBe(ticketNumbers.length);
    const barcodes = orders.flatMap((o) => o.tickets.map((t) => t.barcode)).filter((b) => b !== null);
    expect(new Set(barcodes).size).toBe(barcodes.length);
  });

  it('partners: 4–5 organisers and 4–5 vendors, as demoPartners says', () => {
    const demo = demoPartners(42);
    expect(demo.map((p) => ({ id: p.id, name: p.name }))).toEqual(partners);
    const orgs = demo.filter((p) => p.kind === 'org');
    const vendors = demo.filter((p) => p.kind === 'vendor');
    expect(orgs.length).toBeGreaterThanOrEqual(4);
    expect(orgs.length).toBeLessThanOrEqual(5);
    expect(vendors.length).toBeGreaterThanOrEqual(4);
    expect(vendors.length).toBeLessThanOrEqual(5);
    expect(demo.some((p) => /[А-Яа-яЁё]/.test(p.name))).toBe(true);
    expect(demo.some((p) => /^[\x20-\x7e]+$/.test(p.name))).toBe(true);
    expect(demoPartners(42)).toEqual(demo);
    expect(demoPartners(7)[0]?.id).not.toBe(demo[0]?.id);

    // largest organiser first, with ~45% of the orders
    const counts = orgs.map((org) => orders.filter((o) => o.org === org.id).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(N);
    expect(Math.max(...counts)).toBe(counts[0]);
    expect((counts[0] ?? 0) / N).toBeGreaterThan(0.4);
    expect((counts[0] ?? 0) / N).toBeLessThan(0.5);
  });

  it('events: Cyrillic and Latin titles, valid lifetimes, 2–4 sets each, some seated', () => {
    expect(events.some((e) => /[А-Яа-яЁё]/.test(e.title.text))).toBe(true);
    expect(events.some((e) => !/[А-Яа-яЁё]/.test(e.title.text) && /[A-Za-z]/.test(e.title.text))).toBe(true);
    expect(events.some((e) => /["«,]/.test(e.title.text))).toBe(true);
    const orgIds = new Set(demoPartners(42).filter((p) => p.kind === 'org').map((p) => p.id));
    for (const e of events) {
      expect(orgIds.has(e.org)).toBe(true);
      expect(parseTimestamp(e.lifetime.finish)!).toBeGreaterThan(parseTimestamp(e.lifetime.start)!);
      expect(typeof e.title.desc).toBe('string');
    }
    const setsByEvent = new Map<string, Set<string>>();
    for (const o of orders) setsByEvent.set(o.event, new Set(Object.keys(o.values.sets_values)));
    for (const [eventId, sets] of setsByEvent) {
      expect(sets.size, eventId).toBeGreaterThanOrEqual(2);
      expect(sets.size, eventId).toBeLessThanOrEqual(4);
    }
    expect(orders.some((o) => o.tickets.some((t) => t.seat !== undefined))).toBe(true);
    expect(orders.some((o) => o.tickets.length > 0 && o.tickets.every((t) => t.seat === undefined))).toBe(true);
  });

  it('orders: statuses, codes and times', () => {
    const statuses = new Set(orders.map((o) => o.status));
    expect([...statuses].sort()).toEqual(['cancelled', 'done', 'executed', 'expired', 'in_progress']);
    const done = share((o) => o.status === 'done');
    expect(done).toBeGreaterThan(0.55);
    expect(done).toBeLessThan(0.65);
    for (const o of orders) {
      const created = parseTimestamp(o.created_at)!;
      expect(created).toBeGreaterThanOrEqual(BASE - 731 * DAY);
      expect(created).toBeLessThan(BASE);
      expect(parseTimestamp(o.expired_after)).toBe(created + 15 * 60);
      if (o.status === 'done') {
        expect(o.code).toMatch(/^[a-z0-9]{8}$/);
        expect(parseTimestamp(o.done_at)!).toBeGreaterThan(created);
        expect(o.tickets.length).toBeGreaterThan(0);
      } else {
        expect(o.done_at).toBeNull();
        if (o.status !== 'cancelled') expect(o.code).toBeNull();
      }
    }
    const days = new Set(orders.map((o) => o.created_at.slice(0, 7)));
    expect(days.size).toBeGreaterThanOrEqual(20); // spread over about two years of months
  });

  it('orders: org is the event organiser, vendors on about half, customers on about 70%', () => {
    const eventOrg = new Map(events.map((e) => [e.id, e.org]));
    const vendorIds = new Set(demoPartners(42).filter((p) => p.kind === 'vendor').map((p) => p.id));
    for (const o of orders) {
      expect(o.org).toBe(eventOrg.get(o.event));
      if (o.vendor !== null) {
        expect(vendorIds.has(o.vendor)).toBe(true);
        expect(o.vendor).not.toBe(o.org);
      }
      if (o.settings.customer !== undefined) expect(hasCustomerData(o.settings.customer)).toBe(true);
    }
    const vendors = share((o) => o.vendor !== null);
    expect(vendors).toBeGreaterThan(0.45);
    expect(vendors).toBeLessThan(0.55);
    const customers = share((o) => o.settings.customer !== undefined);
    expect(customers).toBeGreaterThan(0.65);
    expect(customers).toBeLessThan(0.75);
    const names = orders.map((o) => o.settings.customer?.name).filter((n): n is string => typeof n === 'string');
    expect(names.some((n) => /[А-Яа-яЁё]/.test(n))).toBe(true);
    expect(names.some((n) => /^[A-Za-z' ]+$/.test(n))).toBe(true);
    expect(new Set(orders.map((o) => o.origin)).size).toBe(7);
    expect(orders.some((o) => o.promocodes.length === 1)).toBe(true);
    expect(orders.every((o) => o.promocodes.length <= 1)).toBe(true);
  });

  it('tickets: 0..6 per order, statuses follow the order, money adds up', () => {
    const counts = new Set(orders.map((o) => o.tickets.length));
    for (let n = 0; n <= 6; n++) expect(counts.has(n), `an order with ${n} tickets`).toBe(true);
    expect(Math.max(...counts)).toBe(6);
    for (const o of orders) {
      for (const t of o.tickets) {
        expect(t.serial).toMatch(/^[A-Z]{3}$/);
        expect(o.values.sets_values[t.set]).toBeDefined();
        if (o.status === 'done') expect(['sold', 'refunded']).toContain(t.status);
        if (o.status === 'in_progress') expect(t.status).toBe('reserved');
        if (o.status === 'executed') expect(['reserved', 'pending']).toContain(t.status);
        if (o.status === 'cancelled' || o.status === 'expired') expect(['cancelled', 'refunded']).toContain(t.status);
        expect(parseMoney(t.price)! - parseMoney(t.discount)!).toBe(parseMoney(t.nominal));
      }
    }
    expect(orders.some((o) => o.tickets.some((t) => t.discount !== '0.00'))).toBe(true);
    expect(orders.some((o) => o.tickets.some((t) => t.barcode === null))).toBe(true);
  });
});

describe('organisers option', () => {
  it('with one organiser every event and order belongs to the first demo organiser', async () => {
    const { generateSeed: gen, demoPartners: partners } = await import('./generator.js');
    const first = partners(5)[0]!.id;
    const items = [...gen({ orders: 200, seed: 5, organisers: 1 })];
    const events = items.filter((i) => i.kind === 'event');
    const orders = items.filter((i) => i.kind === 'order');
    expect(events.length).toBeGreaterThan(10);
    expect(new Set(events.map((e) => (e.value as { org: string }).org))).toEqual(new Set([first]));
    expect(orders).toHaveLength(200);
    expect(new Set(orders.map((o) => (o.value as { org: string }).org))).toEqual(new Set([first]));
    expect(() => [...gen({ orders: 1, seed: 5, organisers: 6 })]).toThrow(RangeError);
  });
});
