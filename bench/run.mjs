// `npm run bench`: every benchmark of issue 4, one after another (they would
// disturb each other's timings if run together), then the growth table.
//   1. bench/list.mjs    — the list: PostgreSQL 1M and SQLite 200k, c=1 and c=16, with both floors
//   2. bench/export.mjs  — export 10k/100k/1M to CSV and XLSX next to COPY
//   3. bench/list.mjs --pg-orders 10000 / 100000 (c=1) — with (1), the list's growth curve
// Usage: node bench/run.mjs [--quick]
//   --quick: 50k orders, short runs, no growth curve (CI: checks that it runs, ≤ 2 min)
// Writes .bench/growth-<date>.md next to the tables of each part.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, '.bench');
mkdirSync(benchDir, { recursive: true });
const stamp = new Date().toISOString().slice(0, 16).replace(':', '-');

function run(script, args) {
  const r = spawnSync(process.execPath, [join(root, 'bench', script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench/${script} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

const listJson = (name) => join(benchDir, `list-${name}-${stamp}.json`);
run('list.mjs', [...(quick ? ['--quick'] : []), '--json', listJson('main')]);
run('export.mjs', quick ? ['--quick'] : []);
if (quick) process.exit(0);

// growth: c=1 only, shorter runs; 1M comes from the main run above
const sizes = [10_000, 100_000];
for (const n of sizes) {
  run('list.mjs', ['--only', 'pg', '--pg-orders', String(n), '--concurrency', '1', '--warmup', '2', '--duration', '5', '--sql-ms', '2000', '--json', listJson(n)]);
}
const byQuery = new Map();
const add = (orders, file) => {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const pg = data.results.find((r) => r.database === 'postgres');
  for (const row of pg.rows.filter((r) => r.concurrency === 1)) {
    const name = row.query.startsWith('month') ? 'one month' : row.query;
    if (!byQuery.has(name)) byQuery.set(name, {});
    byQuery.get(name)[orders] = { api: row.api.p50, sql: row.sqlFloor.p50, tenant: pg.tenant.orders };
  }
  return pg.tenant.orders;
};
const tenants = {};
for (const n of sizes) tenants[n] = add(n, listJson(n));
tenants[1_000_000] = add(1_000_000, listJson('main'));
const all = [...sizes, 1_000_000];
const exportFiles = readFileSync(join(benchDir, 'export-latest.json'), 'utf8');
const exports = JSON.parse(exportFiles).results;
const md = [
  `# Growth ${new Date().toISOString()}`,
  '',
  `List, PostgreSQL, c=1: API p50 ms (raw-SQL floor p50 ms). Largest tenant: ${all.map((n) => `${n.toLocaleString('en')} orders → ${tenants[n].toLocaleString('en')}`).join('; ')}.`,
  '',
  `| query | ${all.map((n) => n.toLocaleString('en')).join(' | ')} |`,
  `|---|${all.map(() => '---:').join('|')}|`,
  ...[...byQuery].map(([q, v]) => `| ${q} | ${all.map((n) => (v[n] ? `${v[n].api.toFixed(2)} (${v[n].sql.toFixed(2)})` : '–')).join(' | ')} |`),
  '',
  'Export, PostgreSQL, one organiser sees every order: seconds (× COPY).',
  '',
  `| format | ${all.map((n) => n.toLocaleString('en')).join(' | ')} |`,
  `|---|${all.map(() => '---:').join('|')}|`,
  ...['csv', 'xlsx'].map(
    (f) =>
      `| ${f} | ${all
        .map((n) => {
          const r = exports.find((e) => e.orders === n && e.format === f);
          return r ? `${r.seconds.toFixed(2)} (${r.ratio.toFixed(2)}×)` : '–';
        })
        .join(' | ')} |`,
  ),
  `| COPY | ${all.map((n) => exports.find((e) => e.orders === n)?.copySeconds.toFixed(2) ?? '–').join(' | ')} |`,
  '',
].join('\n');
process.stdout.write(`${md}\n`);
writeFileSync(join(benchDir, `growth-${stamp}.md`), `${md}\n`);
