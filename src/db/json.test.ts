import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonWriter } from './json.js';

describe('JsonWriter (SQLite)', () => {
  const sqlite = new Database(':memory:');
  const db = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: sqlite }) });
  const w = new JsonWriter();
  afterAll(async () => {
    await db.destroy();
  });

  /** The writer's text for the one row of `t`. */
  async function written(json: Parameters<JsonWriter['text']>[0]): Promise<string> {
    const { sql } = w.text(json).compile(db);
    return (sqlite.prepare(`SELECT ${sql} AS j FROM t`).get() as { j: string }).j;
  }

  it('writes keys and literal text with quotes and apostrophes as JSON, optional members only when present', async () => {
    sqlite.exec(`CREATE TABLE t (s text, n integer, m integer, z integer, d integer, j text); INSERT INTO t VALUES ('it''s "x"', 7, -5, NULL, 0, '[1]')`);
    const json = w.object([
      { key: "it's", value: w.string('t.s') },
      { key: 'n"', value: w.integer('t.n') },
      { key: 'money', value: w.money('t.m') },
      { key: 'absent', value: w.integer('t.z'), when: 't.z IS NOT NULL' },
      { key: 'present', value: w.boolean('t.n'), when: 't.n = 7' },
      { key: 'epoch', value: w.timestamp('t.d') },
      { key: 'none', value: w.timestamp('t.z', true) },
      { key: 'stored', value: w.stored('t.j') },
      { key: 'empty', value: w.object([]) },
    ]);
    const text = await written(json);
    expect(text).toBe(JSON.stringify({ "it's": 'it\'s "x"', 'n"': 7, money: '-0.05', present: false, epoch: '1970-01-01 00:00:00', none: null, stored: [1], empty: {} }));
  });

  it('refuses what is not a column name, and an optional first member', () => {
    expect(() => w.string("t.s'); DROP TABLE t; --")).toThrow(/not a column name/);
    expect(() => w.object([{ key: 'a', value: w.integer('n'), when: 'n > 0' }])).toThrow(/cannot come first/);
  });

  it('writes arrays over a subquery in order, [] for none', async () => {
    sqlite.exec(`CREATE TABLE items (k integer, pos integer); INSERT INTO items VALUES (1, 2), (1, 1), (2, 9)`);
    const arr = (k: number) => w.array(w.integer('items.pos'), `items WHERE items.k = ${k}`, 'items.pos');
    expect(await written(arr(1))).toBe('[1,2]');
    expect(await written(arr(3))).toBe('[]');
  });
});
