// Export memory and speed: 1M orders (one tenant) on PostgreSQL, CSV and XLSX,
// each in its own process; prints one JSON line per format and a summary.
// Usage: node bench/export-memory.mjs [--orders N] [--db URL]
// The database is created and seeded (`kassa seed --organisers 1`) when it
// does not hold N orders yet; later runs reuse it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const orders = Number(arg('orders', '1000000'));
const url = arg('db', 'postgres://postgres@127.0.0.1:5432/kassa_bench_export');
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

async function countOrders() {
  const admin = new pg.Client({ connectionString: new URL('/postgres', url).toString() });
  await admin.connect();
  const name = new URL(url).pathname.slice(1);
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount > 0;
  if (!exists) await admin.query(`create database "${name}"`);
  await admin.end();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const table = (await c.query("select to_regclass('orders') as t")).rows[0].t;
  const n = table ? Number((await c.query('select count(*) from orders')).rows[0].count) : 0;
  await c.end();
  return n;
}

if ((await countOrders()) !== orders) {
  console.error(`seeding ${orders} orders into ${url} (one organiser)…`);
  execFileSync(process.execPath, [cli, 'seed', '--orders', String(orders), '--organisers', '1', '--seed', '1'], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
const c = new pg.Client({ connectionString: url });
await c.connect();
const partner = (await c.query('select partner_id, count(*) n from order_access group by 1 order by 2 desc limit 1')).rows[0];
await c.query('vacuum analyze');
await c.end();
console.error(`partner ${partner.partner_id} sees ${partner.n} orders`);

const results = [];
for (const format of ['csv', 'xlsx']) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kassa-bench-export-'));
  const run = spawnSync(process.execPath, [join(root, 'bench/export-run.mjs'), url, partner.partner_id, format, dataDir], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(run.stderr);
    process.exit(1);
  }
  const line = JSON.parse(run.stdout.trim().split('\n').pop());
  results.push(line);
  console.log(JSON.stringify(line));
}
for (const r of results) {
  console.error(
    `${r.format.padEnd(5)} ${r.orders} orders + ${r.tickets} tickets in ${r.seconds} s (${r.rowsPerSecond} rows/s), peak RSS ${r.peakRssMB} MB, file ${(r.fileBytes / 1e6).toFixed(1)} MB`,
  );
}
