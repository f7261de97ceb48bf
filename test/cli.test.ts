import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';

const fixture = new URL('./fixtures/seed-example.ndjson', import.meta.url).pathname;
const ORG = '5b04229196c055000d87c2b5';
const tmp = mkdtempSync(join(tmpdir(), 'kassa-cli-'));

function file(name: string, lines: unknown[]): string {
  const path = join(tmp, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

describe('configuration', () => {
  it('names every bad variable and stops', async () => {
    const r = await runCli(['migrate'], { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', API_PROCESSES: 'many' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('API_PROCESSES');
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('LOG_LEVEL');
    expect(r.stderr).toContain('DATABASE_URL');
  });
});

describe('serve --processes', () => {
  it('refuses a count that is not 1 to 64 or auto', async () => {
    for (const bad of ['0', 'lots']) {
      const r = await runCli(['serve', '--processes', bad], { DATABASE_URL: `sqlite:${join(tmp, 'unused.db')}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--processes');
      expect(r.stderr).toContain('"auto"');
    }
  });
});

describe.each(DIALECTS)('kassa CLI (%s)', (dialect) => {
  let t: TestDb;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    env = { DATABASE_URL: t.url, DATA_DIR: tmp };
  });
  afterAll(async () => {
    await t?.drop();
  });

  const orderCount = async () =>
    Number((await t.db.kysely.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('migrate is idempotent', async () => {
    const r = await runCli(['migrate'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('up to date');
  });

  it('imports the seed example, and re-import updates by id', async () => {
    const r = await runCli(['import', fixture], env);
    expect(r.stderr).toContain('imported 2 partners, 1 events, 1 orders (1 tickets)');
    expect(r.code).toBe(0);
    expect(await orderCount()).toBe(1);

    const again = await runCli(['import', fixture], env);
    expect(again.code).toBe(0);
    expect(await orderCount()).toBe(1);
  });

  it('aborts on a bad line with its line number and writes nothing', async () => {
    const before = await orderCount();
    const bad = file('bad.ndjson', [
      { partner: { id: 'aaaaaaaaaaaaaaaaaaaaaaaa', name: 'New partner' } },
      '{"event": ',
      { partner: { id: 'not-an-id', name: 'X' } },
    ]);
    const r = await runCli(['import', bad], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: not valid JSON/);
    expect(r.stderr).toMatch(/line 3: partner\.id must be a 24-character lowercase hex id/);
    expect(r.stderr).toContain('nothing was written');
    expect(await orderCount()).toBe(before);
    const p = await t.db.kysely.selectFrom('partners').select('id').where('id', '=', 'aaaaaaaaaaaaaaaaaaaaaaaa').executeTakeFirst();
    expect(p).toBeUndefined();
  });

  it('keys: create prints only the token; list never shows it; revoke', async () => {
    const created = await runCli(['keys', 'create', '--partner', ORG, '--name', 'ci'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^[a-z0-9]{32}\n$/);
    const token = created.stdout.trim();

    const listed = await runCli(['keys', 'list', '--partner', ORG, '--json'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(token);
    const keys = JSON.parse(listed.stdout) as { id: string; name: string; revoked_at: string | null }[];
    const key = keys.find((k) => k.name === 'ci');
    expect(key?.revoked_at).toBeNull();

    const stored = await t.db.kysely.selectFrom('api_keys').select('token_hash').where('id', '=', key!.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.token_hash).not.toContain(token);

    const revoked = await runCli(['keys', 'revoke', key!.id], env);
    expect(revoked.code).toBe(0);
    const after = JSON.parse((await runCli(['keys', 'list', '--json'], env)).stdout) as { id: string; revoked_at: string | null }[];
    expect(after.find((k) => k.id === key!.id)?.revoked_at).toMatch(/^\d{4}-/);

    const unknown = await runCli(['keys', 'revoke', 'ffffffffffffffffffffffff'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');
  });

  it('keys create rejects an unknown or malformed partner', async () => {
    const unknown = await runCli(['keys', 'create', '--partner', 'ffffffffffffffffffffffff'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    const malformed = await runCli(['keys', 'create', '--partner', 'nope'], env);
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain('24-character');
  });

  it('seed is deterministic and prints one key per demo partner', async () => {
    const s = await createTestDb(dialect);
    try {
      const a = await runCli(['seed', '--orders', '300', '--seed', '7'], { DATABASE_URL: s.url, DATA_DIR: tmp });
      expect(a.code).toBe(0);
      const lines = a.stdout.trim().split('\n');
      expect(lines[0]).toBe('partner\tname\tapi_key');
      for (const l of lines.slice(1)) expect(l).toMatch(/^[0-9a-f]{24}\t.+\t[a-z0-9]{32}$/);
      const first = await s.db.kysely.selectFrom('orders').selectAll().orderBy('id').execute();
      expect(first).toHaveLength(300);
      // Seeding again with the same seed rewrites the same orders.
      const b = await runCli(['seed', '--orders', '300', '--seed', '7'], { DATABASE_URL: s.url, DATA_DIR: tmp });
      expect(b.code).toBe(0);
      const second = await s.db.kysely.selectFrom('orders').selectAll().orderBy('id').execute();
      expect(second).toEqual(first);
    } finally {
      await s.drop();
    }
  });
});
