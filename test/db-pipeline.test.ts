import { readFileSync } from 'node:fs';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/tokens.js';
import { NAMED, openDb, type Db } from '../src/db/database.js';
import { importLines } from '../src/import/service.js';
import type { OrderFilters } from '../src/orders/filters.js';
import { OrdersRepository } from '../src/orders/repository.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';

const ORG = '5b04229196c055000d87c2b5';
const fixture = readFileSync(new URL('./fixtures/seed-example.ndjson', import.meta.url), 'utf8').trim().split('\n');

const pid = CompiledQuery.raw('select pg_backend_pid() as pid') as CompiledQuery<{ pid: number }>;

// Db.pipeline on PostgreSQL: statements pipelined on one connection of the lists pool.
describe('pipelines (postgres)', () => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDb('postgres');
    db = openDb(t.url, { poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it("answers each batch's statements in order, all on the pipeline's one connection", async () => {
    const wide = openDb(t.url, { poolSize: 4 });
    try {
      const p = await wide.pipeline();
      try {
        const [a, b, first, second] = await p.run([CompiledQuery.raw('select 1 as a'), CompiledQuery.raw('select 2 as b'), pid, pid] as const);
        expect([a, b]).toEqual([[{ a: 1 }], [{ b: 2 }]]);
        const [[third]] = await p.run([pid] as const);
        expect(second).toEqual(first);
        expect(third).toEqual(first![0]);
      } finally {
        p.release();
      }
    } finally {
      await wide.close();
    }
  });

  it('fails a batch with its failing statement; the others are answered; that connection is not used again', async () => {
    const p = await db.pipeline();
    const [[before]] = await p.run([pid] as const);
    await expect(p.run([CompiledQuery.raw('select 1 as a'), CompiledQuery.raw('select 1 / 0 as x'), pid] as const)).rejects.toThrow(/division by zero/);
    p.release();
    // one connection in the pool: the next pipeline gets a new one
    const q = await db.pipeline();
    const [[after]] = await q.run([pid] as const);
    q.release();
    expect(after!.pid).not.toBe(before!.pid);
    // and a pipeline that did not fail hands its connection back for reuse
    const r = await db.pipeline();
    const [[again]] = await r.run([pid] as const);
    r.release();
    expect(again).toEqual(after);
  });

  it('names statements alike whether they run through db.lists or a pipeline: one connection holds both', async () => {
    const partners = (id: string) => db.lists.selectFrom('partners').select('id').where('id', '=', id).modifyFront(NAMED);
    const events = (id: string) => db.lists.selectFrom('events').select('id').where('id', '=', id).modifyFront(NAMED);
    await partners('a').execute();
    const p = await db.pipeline();
    try {
      // a name of its own: were it named apart it would reuse the first's name, and pg would refuse it
      // (the query of pg_prepared_statements through the pipeline too: the pool's one connection is checked out to it)
      const prepared = sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where statement like '%named%'`.compile(db.lists);
      expect(await p.run([events('e').compile(), partners('b').compile(), prepared] as const)).toEqual([[], [], [{ n: 2 }]]);
    } finally {
      p.release();
    }
  });
});

// The list's reads give their connection back whatever the page: with a pool
// of one, a connection kept by any of them would leave the next one waiting.
describe.each(DIALECTS)("the list's reads hand their connection back (%s)", (dialect) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    await importLines(t.db, fixture);
    db = openDb(t.url, { poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it('after a page with refs, an empty page, a page past the end, an unconfirmed key and a failed read', async () => {
    const repo = new OrdersRepository(db.lists, db.dialect, db.pipeline);
    const all: OrderFilters = { onlyWithCustomer: false };
    for (let round = 0; round < 3; round++) {
      const read = await repo.page(ORG, all, 50, 0);
      expect(read.total).toBeGreaterThan(0);
      if (read.form === 'rows') expect((await read.refs).events).toHaveLength(1);
      else expect(read.events).toHaveLength(1);
      expect((await repo.page('000000000000000000000000', all, 50, 0)).total).toBe(0);
      expect((await repo.page(ORG, all, 50, null)).orders).toEqual([]);
      expect((await repo.page(ORG, all, 50, 0, hashToken('not a key'))).keyActive).toBe(false);
      // a statement that fails (SQLite takes a negative offset as none; its statements check out no connection)
      if (dialect === 'postgres') await expect(repo.page(ORG, all, 50, -1)).rejects.toThrow(/OFFSET must not be negative/);
    }
  });
});

describe('closing the database (postgres)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('postgres');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('closes the connections the pipelines used, though nothing ran through db.lists', async () => {
    const db = openDb(t.url);
    const p = await db.pipeline();
    const [[{ pid: backend }]] = (await p.run([pid] as const)) as [[{ pid: number }]];
    p.release();
    await db.close();
    // the backend ends once the connection is closed; left open it would stay until pg's idle timeout (10 s)
    const alive = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = ${backend}`.execute(t.db.kysely)).rows[0]!.n;
    for (let i = 0; i < 40 && (await alive()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await alive()).toBe(0);
  });
});
