import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMED, openDb, type Db } from '../src/db/database.js';
import { createTestDb, type TestDb } from './support/db.js';

// PostgreSQL only: on SQLite NAMED is a comment (statements are kept prepared by text anyway).
describe('named statements (postgres)', () => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDb('postgres');
    // one connection, so that pg_prepared_statements shows all of them
    db = openDb(t.url, { poolSize: 1, namedStatements: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it('prepares statements marked NAMED once per connection, up to the limit, and no others', async () => {
    const k = db.kysely;
    for (const id of ['p1', 'p2', 'p3']) await k.selectFrom('partners').select('id').where('id', '=', id).modifyFront(NAMED).execute();
    await k.selectFrom('events').select('id').where('id', '=', 'e1').execute();
    const events = await k.selectFrom('events').select('org_id').where('id', '=', 'e1').modifyFront(NAMED).execute();
    expect(events).toEqual([]);
    // a third distinct text: over the limit, still runs
    await k.selectFrom('orders').select('id').where('id', '=', 'o1').modifyFront(NAMED).execute();

    const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(k);
    expect(prepared.rows.map((r) => r.statement)).toEqual([
      'select /* named */ "id" from "partners" where "id" = $1',
      'select /* named */ "org_id" from "events" where "id" = $1',
    ]);
  });

  it('answers named statements with the rows and parameters of each call', async () => {
    const k = db.kysely;
    await k.insertInto('partners').values([{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }]).execute();
    const name = (id: string) => k.selectFrom('partners').select('id').where('id', '=', id).modifyFront(NAMED).executeTakeFirst();
    expect(await name('a')).toEqual({ id: 'a' });
    expect(await name('b')).toEqual({ id: 'b' });
    expect(await name('c')).toBeUndefined();
  });

  // db.lists (the list's statements): its connections use a prepared
  // statement's generic plan from the first execution; PostgreSQL would
  // otherwise plan a statement with LIMIT/OFFSET parameters on every call.
  it('the lists pool runs named statements with their generic plan; the main pool plans them per call', async () => {
    const page = (k: Db['kysely'], limit: number) =>
      k.selectFrom('partners').select('id').where('id', '>', '').orderBy('id').limit(limit).offset(0).modifyFront(NAMED).execute();
    const plans = async (k: Db['kysely']) => {
      const { rows } = await sql<{ generic: number; custom: number }>`
        select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements where statement like '%"partners"%limit%'`.execute(k);
      return rows;
    };
    const fresh = openDb(t.url, { poolSize: 1 });
    try {
      for (let i = 0; i < 7; i++) {
        await page(fresh.lists, 2);
        await page(fresh.kysely, 2);
      }
      expect(await plans(fresh.lists)).toEqual([{ generic: 7, custom: 0 }]);
      // PostgreSQL's own choice: the generic plan looks costlier with LIMIT unknown, so it keeps planning
      expect(await plans(fresh.kysely)).toEqual([{ generic: 0, custom: 7 }]);
      // each statement of db.lists checks out a connection of its own: a transaction there would be split
      await expect(fresh.lists.transaction().execute(async (trx) => page(trx, 2))).rejects.toThrow(/no transactions/);
      expect(await page(fresh.lists, 1)).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  // A page joins its orders by id through a Memoize node (a cache of the
  // lookups by key) when PostgreSQL may plan one; a page's order ids are
  // distinct, so it never hits and only costs (database.ts, listsPlanning).
  it('the lists pool (db.lists and the pipelines) plans no Memoize; the main pool keeps the default', async () => {
    const show = sql<{ enable_memoize: string }>`show enable_memoize`;
    const pipeline = await db.pipeline();
    try {
      const [[piped]] = await pipeline.run([show.compile(db.lists)] as const);
      expect(piped).toEqual({ enable_memoize: 'off' });
    } finally {
      pipeline.release();
    }
    expect((await show.execute(db.lists)).rows).toEqual([{ enable_memoize: 'off' }]);
    expect((await show.execute(db.kysely)).rows).toEqual([{ enable_memoize: 'on' }]);
  });
});
