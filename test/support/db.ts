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
import { migrateToLatest } from '../../src/db/migrations.js';

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

export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-test-'));
    const url = `sqlite:${join(dir, 'kassa.db')}`;
    const db = openDb(url);
    await migrateToLatest(db);
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
  await migrateToLatest(db);
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
