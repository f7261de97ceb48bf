/**
 * A fresh, migrated database per test file, for each dialect under test.
 * PostgreSQL is required: when it is unreachable the suite fails rather than
 * skipping, unless KASSA_TEST_DIALECTS explicitly leaves it out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDb, type Db, type Dialect } from '../../src/db/database.js';
import { migrateTo, migrateToLatest } from '../../src/db/migrations.js';

export const PG_ADMIN_URL = process.env.KASSA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const DIALECTS: Dialect[] = (process.env.KASSA_TEST_DIALECTS ?? 'sqlite,postgres')
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is Dialect => d === 'sqlite' || d === 'postgres');

export interface TestDb {
  db: Db;
  url: string;
  dialect: Dialect;
  /** closes the connection and drops the database */
  drop(): Promise<void>;
}

function pgUrlFor(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database; `upTo` stops the migrations at that one (tests of a later migration's backfill). */
export async function createTestDb(dialect: Dialect, options: { upTo?: string } = {}): Promise<TestDb> {
  const migrate = (db: Db) => (options.upTo ? migrateTo(db, options.upTo) : migrateToLatest(db));
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-test-'));
    const url = `sqlite:${join(dir, 'kassa.db')}`;
    const db = openDb(url);
    await migrate(db);
    return {
      db,
      url,
      dialect,
      drop: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `kassa_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is required for the tests and is not reachable at ${PG_ADMIN_URL}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = pgUrlFor(name);
  const db = openDb(url, { poolSize: 4 });
  await migrate(db);
  return {
    db,
    url,
    dialect,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Empties the order data (orders, their tickets, access rows and counts;
 * with `catalog`, events and partners too) between cases of one file.
 */
export async function clearOrders(db: Db, options: { catalog?: boolean } = {}): Promise<void> {
  for (const table of ['tickets', 'order_access', 'order_counts', 'orders'] as const) await db.kysely.deleteFrom(table).execute();
  if (options.catalog) for (const table of ['events', 'partners'] as const) await db.kysely.deleteFrom(table).execute();
}

/** PostgreSQL: the connections to the database at `url` other than the asking one (pg_stat_activity). */
export async function otherConnections(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return Number(rows[0]?.n);
  } finally {
    await c.end();
  }
}

/** Waits up to 5 s for the connections to fall back to `count` (the server notices a closed socket on its own time); returns the last count. */
export async function connectionsBackTo(url: string, count: number): Promise<number> {
  let n = await otherConnections(url);
  for (let i = 0; i < 50 && n > count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    n = await otherConnections(url);
  }
  return n;
}
