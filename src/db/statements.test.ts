import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { oneOf } from './sql.js';
import { shapeOf, StatementCache } from './statements.js';
import type { Database } from './types.js';
import type { Dialect } from './database.js';

describe('shapeOf', () => {
  it('is the same for inputs that differ only in their strings and numbers', () => {
    expect(shapeOf({ a: 'x', b: [1, 2], c: { d: 'y' } })).toBe(shapeOf({ a: 'zz', b: [7, -8.5], c: { d: ' ' } }));
  });

  it('tells presence, null, booleans, array lengths and nesting apart', () => {
    const shapes = [
      {},
      { a: 'x' },
      { a: null },
      { a: true },
      { a: false },
      { a: ['x'] },
      { a: ['x', 'y'] },
      { a: [] },
      { a: { b: 'x' } },
      { b: 'x' },
    ].map(shapeOf);
    expect(new Set(shapes).size).toBe(shapes.length);
  });

  it('counts an undefined value as absent and ignores key order', () => {
    expect(shapeOf({ a: undefined, b: 1 })).toBe(shapeOf({ b: 2 }));
    expect(shapeOf({ a: 1, b: 'x' })).toBe(shapeOf({ b: 'y', a: 2 }));
  });

  it('tells falsy strings and numbers from the others', () => {
    expect(shapeOf({ a: '' })).not.toBe(shapeOf({ a: 'x' }));
    expect(shapeOf({ a: 0 })).not.toBe(shapeOf({ a: 1 }));
    expect(shapeOf({ a: 0 })).not.toBe(shapeOf({ a: '' }));
  });

  it('refuses values that are not plain data', () => {
    expect(() => shapeOf({ a: new Date() })).toThrow(TypeError);
    expect(() => shapeOf({ a: () => 1 })).toThrow(TypeError);
    expect(() => shapeOf({ a: Number.NaN })).toThrow(TypeError);
  });
});

interface Filters {
  partnerId: string;
  from?: number;
  to?: number;
  statuses?: string[];
  events?: string[];
  onlyWithCustomer: boolean;
  limit: number;
  offset: number;
  ids: string[];
}

/** Builders of each kind the repositories use: optional conditions, in-lists, a subquery, limit/offset, an array parameter. */
function statement(db: Kysely<Database>, dialect: Dialect) {
  return (f: Filters) => {
    let q = db.selectFrom('order_access').where('partner_id', '=', f.partnerId);
    if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
    if (f.to !== undefined) q = q.where('created_at', '<', f.to);
    if (f.statuses) q = q.where('status', 'in', f.statuses);
    if (f.events) q = q.where('event_id', 'in', f.events);
    if (f.onlyWithCustomer) q = q.where('has_customer', '=', 1);
    const page = q.select(['order_id', 'created_at']).orderBy('created_at', 'desc').limit(f.limit).offset(f.offset).as('p');
    return db
      .selectFrom(page)
      .innerJoin('orders', 'orders.id', 'p.order_id')
      .select(['orders.id', sql<number>`${f.limit} + 0`.as('l')])
      .where((eb) => oneOf(dialect, eb.ref('orders.id'), f.ids, 'text'));
  };
}

const id = fc.stringMatching(/^[0-9a-f]{24}$/);
const filtersArb: fc.Arbitrary<Filters> = fc.record(
  {
    partnerId: id,
    from: fc.integer({ min: 0, max: 2e9 }),
    to: fc.integer({ min: 0, max: 2e9 }),
    statuses: fc.array(fc.constantFrom('done', 'expired', 'cancelled'), { minLength: 1, maxLength: 3 }),
    events: fc.array(id, { minLength: 1, maxLength: 4 }),
    onlyWithCustomer: fc.boolean(),
    limit: fc.integer({ min: 1, max: 200 }),
    offset: fc.integer({ min: 0, max: 1e6 }),
    ids: fc.array(id, { minLength: 1, maxLength: 5 }),
  },
  { requiredKeys: ['partnerId', 'onlyWithCustomer', 'limit', 'offset', 'ids'] },
);

describe.each(['sqlite', 'postgres'] as const)('StatementCache (%s compiler)', (dialect) => {
  // Compiling needs no connection: the pool is never asked for one.
  const sqlite = new SQLite(':memory:');
  const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/none' });
  const db = new Kysely<Database>({
    dialect: dialect === 'sqlite' ? new SqliteDialect({ database: sqlite }) : new PostgresDialect({ pool }),
  });
  afterAll(async () => {
    sqlite.close();
    await pool.end();
  });

  /** A cache of the test statement that counts how often it builds. */
  const counted = (size?: number) => {
    const build = statement(db, dialect);
    const counter = { builds: 0, build };
    const cache = new StatementCache((f: Filters) => {
      counter.builds++;
      return build(f);
    }, size);
    return { cache, counter };
  };

  it('compiles every input to what building it afresh compiles to', () => {
    const { cache, counter } = counted();
    const build = counter.build;
    fc.assert(
      fc.property(filtersArb, (f) => {
        const cached = cache.compile(f);
        const fresh = build(f).compile();
        expect(cached.sql).toBe(fresh.sql);
        expect(cached.parameters).toEqual(fresh.parameters);
      }),
      { numRuns: 500 },
    );
    // templates were reused: far fewer builds than inputs
    expect(counter.builds).toBeLessThan(500);
  });

  it('builds once per shape and keeps at most `size` shapes', () => {
    const { cache, counter } = counted(2);
    const base: Filters = { partnerId: 'a'.repeat(24), onlyWithCustomer: false, limit: 50, offset: 100, ids: ['b'.repeat(24)] };
    cache.compile(base);
    cache.compile({ ...base, partnerId: 'c'.repeat(24), offset: 50 });
    expect(counter.builds).toBe(1);
    cache.compile({ ...base, onlyWithCustomer: true });
    cache.compile({ ...base, statuses: ['done'] }); // a third shape: the first one goes
    expect(counter.builds).toBe(3);
    cache.compile(base);
    expect(counter.builds).toBe(4);
    const again = cache.compile({ ...base, statuses: ['expired'] });
    expect(counter.builds).toBe(4);
    expect(again.parameters).toContain('expired');
  });

  it('takes the branch a falsy value takes: a builder testing a value itself gets the right text', () => {
    const build = (f: { offset: number; code: string }) => {
      let q = db.selectFrom('orders').select('id');
      if (f.offset) q = q.offset(f.offset);
      if (f.code) q = q.where('code', '=', f.code);
      return q;
    };
    const cache = new StatementCache(build);
    for (const f of [
      { offset: 50, code: 'A1' },
      { offset: 0, code: 'A1' },
      { offset: 10, code: '' },
      { offset: 0, code: '' },
      { offset: 7, code: 'B2' },
    ]) {
      const cached = cache.compile(f);
      const fresh = build(f).compile();
      expect(cached.sql).toBe(fresh.sql);
      expect(cached.parameters).toEqual(fresh.parameters);
    }
  });

  it('refuses a builder that writes an input value into the SQL text', () => {
    const cache = new StatementCache((f: { partnerId: string }) =>
      db.selectFrom('orders').select('id').where(sql.raw<boolean>(`org_id = '${f.partnerId}'`)),
    );
    expect(() => cache.compile({ partnerId: 'a'.repeat(24) })).toThrow(/SQL text/);
  });

  it('refuses a builder that computes with an input value', () => {
    const sum = new StatementCache((f: { limit: number }) => db.selectFrom('orders').select('id').limit(f.limit + 1));
    expect(() => sum.compile({ limit: 50 })).toThrow(/arithmetic/);
    const concat = new StatementCache((f: { partnerId: string }) => db.selectFrom('orders').select('id').where('org_id', '=', `x${f.partnerId}`));
    expect(() => concat.compile({ partnerId: 'a'.repeat(24) })).toThrow(/arithmetic/);
  });
});
