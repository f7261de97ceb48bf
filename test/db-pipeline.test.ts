import { readFileSync } from 'node:fs';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/tokens.js';
import { LISTS_APPLICATION_NAME, NAMED, openDb, type Db } from '../src/db/database.js';
import { importLines } from '../src/import/service.js';
import type { OrderFilters } from '../src/orders/filters.js';
import { OrdersRepository } from '../src/orders/repository.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';

const ORG = '5b04229196c055000d87c2b5';
const fixture = readFileSync(new URL('./fixtures/seed-example.ndjson', import.meta.url), 'utf8').trim().split('\n');

const pid = CompiledQuery.raw('select pg_backend_pid() as pid') as CompiledQuery<{ pid: number }>;

/** The backend a new pipeline of `db` runs on (opened, asked, released). */
const backendOf = async (db: Db): Promise<number> => {
  const p = await db.pipeline();
  try {
    const [[row]] = await p.run([pid] as const);
    return row!.pid;
  } finally {
    p.release();
  }
};

/** Whether the backend is still there. */
const backendAlive = async (t: TestDb, backend: number) =>
  (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = ${backend}`.execute(t.db.kysely)).rows[0]!.n > 0;
/** Polls `done` every 50 ms for up to 2 s; its last answer. */
const within2s = async (done: () => Promise<boolean>) => {
  for (let i = 0; i < 40 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  return done();
};
/** Whether the backend is gone, polled for up to 2 s. */
const backendGone = (t: TestDb, backend: number) => within2s(async () => !(await backendAlive(t, backend)));

/** The list connections (Db.pipeline's) open to the test's database. */
const listsBackends = async (t: TestDb) =>
  (
    await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where application_name = ${LISTS_APPLICATION_NAME} and datname = current_database()`.execute(t.db.kysely)
  ).rows[0]!.n;

// Db.pipeline on PostgreSQL: statements pipelined on connections that concurrent pipelines share.
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
    const wide = openDb(t.url, { listConnections: 4 });
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

  it('shares its connections among concurrent pipelines, each batch answered to its own pipeline', async () => {
    const two = openDb(t.url, { listConnections: 2 });
    try {
      const value = (v: number) => CompiledQuery.raw('select $1::int as v', [v]) as CompiledQuery<{ v: number }>;
      const answers = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const p = await two.pipeline();
          try {
            const [[a], [first]] = await p.run([value(i), pid] as const);
            const [[b], [second]] = await p.run([value(100 + i), pid] as const);
            return { a: a!.v, b: b!.v, pids: [first!.pid, second!.pid] };
          } finally {
            p.release();
          }
        }),
      );
      expect(answers.map((x) => [x.a, x.b])).toEqual(Array.from({ length: 12 }, (_, i) => [i, 100 + i]));
      // a pipeline keeps its connection from batch to batch; twelve at once share two
      for (const x of answers) expect(x.pids[1]).toBe(x.pids[0]);
      expect(new Set(answers.map((x) => x.pids[0])).size).toBe(2);
      // one at a time they take the idle connection: no third is opened
      expect(answers.map((x) => x.pids[0])).toContain(await backendOf(two));
    } finally {
      await two.close();
    }
  });

  it('fails a batch with its failing statement; the others are answered; that connection takes no new pipeline and closes when the last is released', async () => {
    const one = openDb(t.url, { listConnections: 1 });
    try {
      const p = await one.pipeline();
      const q = await one.pipeline();
      const [[before]] = await p.run([pid] as const);
      await expect(p.run([CompiledQuery.raw('select 1 as a'), CompiledQuery.raw('select 1 / 0 as x'), pid] as const)).rejects.toThrow(/division by zero/);
      // a pipeline already on it is still answered there
      const [[still]] = await q.run([pid] as const);
      expect(still).toEqual(before);
      // a new one gets another connection
      const after = await backendOf(one);
      expect(after).not.toBe(before!.pid);
      p.release();
      // not ended while q is still on it
      const [[stillThere]] = await q.run([pid] as const);
      expect(stillThere).toEqual(before);
      q.release();
      expect(await backendGone(t, before!.pid)).toBe(true);
      // a pipeline that did not fail leaves its connection in use
      expect(await backendOf(one)).toBe(after);
    } finally {
      await one.close();
    }
  });

  it('opens a second connection only while the first is in use', async () => {
    const two = openDb(t.url, { listConnections: 2 });
    try {
      const pids = [await backendOf(two), await backendOf(two), await backendOf(two)];
      expect(new Set(pids).size).toBe(1);
      expect(await listsBackends(t)).toBe(1);
    } finally {
      await two.close();
    }
  });

  it('replaces a connection whose backend was terminated; the process goes on', async () => {
    const own = openDb(t.url);
    try {
      const backend = await backendOf(own);
      await sql`select pg_terminate_backend(${backend})`.execute(t.db.kysely);
      expect(await backendGone(t, backend)).toBe(true);
      // pg reports the loss on the connection (an 'error' event, unhandled it would end the process); wait for it
      await new Promise((r) => setTimeout(r, 100));
      expect(await backendOf(own)).not.toBe(backend);
    } finally {
      await own.close();
    }
  });

  it('fails a pipeline whose connection cannot be made, and tries again for the next', async () => {
    const url = new URL(t.url);
    url.port = '1'; // nothing listens there
    const nowhere = openDb(url.toString());
    try {
      await expect(nowhere.pipeline()).rejects.toThrow(/ECONNREFUSED/);
      await expect(nowhere.pipeline()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await nowhere.close();
    }
  });

  it('closes a connection that has been idle for listIdleMs', async () => {
    const quick = openDb(t.url, { listIdleMs: 200 });
    try {
      const backend = await backendOf(quick);
      expect(await backendGone(t, backend)).toBe(true);
      // and the next pipeline opens another
      expect(await backendOf(quick)).not.toBe(backend);
    } finally {
      await quick.close();
    }
  });

  it('names statements alike whether they run through db.lists or a pipeline', async () => {
    const partners = (id: string) => db.lists.selectFrom('partners').select('id').where('id', '=', id).modifyFront(NAMED);
    const events = (id: string) => db.lists.selectFrom('events').select('id').where('id', '=', id).modifyFront(NAMED);
    const names = sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`;
    await events('a').execute();
    await partners('a').execute();
    // db.lists' pool has one connection here: the names it gave
    const onLists = (await names.execute(db.lists)).rows;
    const p = await db.pipeline();
    try {
      const [, , onPipeline] = await p.run([partners('b').compile(), events('e').compile(), names.compile(db.lists)] as const);
      expect(onLists).toHaveLength(2);
      expect(onPipeline).toEqual(onLists);
    } finally {
      p.release();
    }
  });
});

// The list's reads give their pipeline back whatever the page: on SQLite, with
// a pool of one, a connection kept by any of them would leave the next one
// waiting; on PostgreSQL a pipeline never released would keep its shared
// connection open past the idle timeout.
describe.each(DIALECTS)("the list's reads hand their connection back (%s)", (dialect) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    await importLines(t.db, fixture);
    db = openDb(t.url, { poolSize: 1, listIdleMs: 500 });
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
    if (dialect === 'postgres') {
      // (the failed read's connection was closed at once; this one stays until it idles)
      await repo.page(ORG, all, 50, 0);
      expect(await listsBackends(t)).toBeGreaterThan(0);
      expect(await within2s(async () => (await listsBackends(t)) === 0)).toBe(true);
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
    const backend = await backendOf(db);
    await db.close();
    // the backend ends once the connection is closed; left open it would stay until the idle sweep (10–15 s)
    expect(await backendGone(t, backend)).toBe(true);
  });
});
