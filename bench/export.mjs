// Export benchmark (issue 4, items 2 and 3): one tenant's orders to CSV and to
// XLSX on PostgreSQL — wall time, rows/s, peak RSS — next to the floor
// measured in the same run: PostgreSQL's own
//   COPY (<the export's join, same rows, same order>) TO STDOUT WITH CSV
// for the orders and for the tickets, written by psql to a file.
// Datasets: kassa_bench_export_<n> (`kassa seed --orders n --organisers 1`, so
// one organiser sees every order); reused when they hold n orders.
// Usage: node bench/export.mjs [--quick] [--sizes 10000,100000,1000000]
//   default sizes 10k, 100k, 1M (the growth curve; targets judged at 1M);
//   --quick: the largest tenant of kassa_bench_50k (CI: checks that it runs)
// Each export runs in its own process (bench/export-run.mjs), so peak RSS
// (ru_maxrss) is that export's own. Prints a markdown table and writes
// .bench/export-<date>.{md,json}.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pgDatabase, sizeLabel } from './datasets.mjs';
import { machineInfo } from './machine.mjs';

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const quick = argv.includes('--quick');
const sizes = (quick ? '50000' : arg('sizes', '10000,100000,1000000')).split(',').map(Number);
const TARGET = { csv: 2, xlsx: 5, rssMB: 300 };
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const benchDir = join(root, '.bench');
mkdirSync(benchDir, { recursive: true });
const pgBase = process.env.KASSA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const t0 = performance.now();
const log = (msg) => process.stderr.write(`[export ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

/** The database for n orders, seeded with one organiser when it does not hold n orders yet. */
async function dataset(n) {
  // --quick exports the largest tenant of the list benchmark's 50k dataset
  // (seeded with several organisers, as bench/list.mjs --quick does): no
  // second dataset to seed in CI.
  const name = quick ? 'kassa_bench_50k' : `kassa_bench_export_${sizeLabel(n)}`;
  const { url, reused } = await pgDatabase(pgBase, name, n);
  if (!reused) {
    log(`seeding ${n} orders (one organiser) into ${name}…`);
    const t = performance.now();
    execFileSync(process.execPath, [cli, 'seed', '--orders', String(n), ...(quick ? [] : ['--organisers', '1']), '--seed', '1'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', quick ? 'ignore' : 'inherit'],
    });
    log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // migrations (a dataset seeded before a schema change) and fresh statistics
  execFileSync(process.execPath, [cli, 'migrate'], { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('VACUUM ANALYZE');
  const top = (await c.query('SELECT partner_id, count(*) AS n FROM order_access GROUP BY 1 ORDER BY 2 DESC LIMIT 1')).rows[0];
  await c.end();
  return { name, url, partner: top.partner_id, orders: Number(top.n) };
}

/**
 * The floor: the export's two queries (src/exports/repository.ts, written
 * here by hand) as COPY … TO STDOUT WITH CSV, through psql into files.
 */
function copyFloor(ds, dir) {
  if (!/^[0-9a-f]{24}$/.test(ds.partner)) throw new Error(`unexpected partner id ${ds.partner}`);
  const p = `'${ds.partner}'`;
  const orders =
    'SELECT o.id, o.number, o.code, o.status, o.created_at, o.done_at, o.expired_after, o.event_id, e.title_text, e.start_at, ' +
    'o.org_id, org.name, o.vendor_id, v.name, o.origin, o.customer_name, o.customer_email, o.customer_phone, o.tickets_count, ' +
    'o.price, o.discount, o.nominal, o.extra, o.full_value, o.promocodes ' +
    'FROM order_access a JOIN orders o ON o.id = a.order_id JOIN events e ON e.id = o.event_id ' +
    'JOIN partners org ON org.id = o.org_id LEFT JOIN partners v ON v.id = o.vendor_id ' +
    `WHERE a.partner_id = ${p} ORDER BY a.created_at DESC, a.order_id DESC`;
  const tickets =
    'SELECT o.number, o.id, o.status, t.id, t.number, t.serial, t.barcode, t.set_id, t.status, t.seat, ' +
    't.price, t.discount, t.nominal, t.extra, t.full_value ' +
    'FROM order_access a JOIN orders o ON o.id = a.order_id JOIN tickets t ON t.order_id = a.order_id ' +
    `WHERE a.partner_id = ${p} ORDER BY a.created_at DESC, a.order_id DESC, t.position`;
  const run = (query, file) =>
    new Promise((resolve, reject) => {
      execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', ds.url, '-o', file, '-c', `COPY (${query}) TO STDOUT WITH CSV`], (err, _o, stderr) =>
        err ? reject(new Error(`psql COPY: ${stderr || err.message}`)) : resolve(statSync(file).size),
      );
    });
  return async () => {
    const t = performance.now();
    const bytes = (await run(orders, join(dir, 'orders.csv'))) + (await run(tickets, join(dir, 'tickets.csv')));
    return { seconds: (performance.now() - t) / 1000, bytes };
  };
}

function exportOnce(ds, format) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kassa-bench-export-'));
  try {
    const run = spawnSync(process.execPath, [join(root, 'bench/export-run.mjs'), ds.url, ds.partner, format, dataDir], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`export-run ${format} failed:\n${run.stderr}`);
    const r = JSON.parse(run.stdout.trim().split('\n').pop());
    if (r.status !== 'sent') throw new Error(`export ${format} ended ${r.status}: ${r.error}`);
    if (r.orders !== ds.orders) throw new Error(`export ${format} wrote ${r.orders} orders, the tenant has ${ds.orders}`);
    return r;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const started = new Date();
const machine = machineInfo(started);
const results = [];
for (const n of sizes) {
  const ds = await dataset(n);
  const dir = mkdtempSync(join(tmpdir(), 'kassa-bench-copy-'));
  try {
    const copy = copyFloor(ds, dir);
    await copy(); // warm the cache: every contender reads the same pages
    // the floor is the faster of two runs; each export runs once (it is long)
    const floors = [await copy(), await copy()];
    const floor = floors.sort((a, b) => a.seconds - b.seconds)[0];
    log(`${ds.name}: COPY ${floor.seconds.toFixed(2)} s (${(floor.bytes / 1e6).toFixed(1)} MB)`);
    for (const format of ['csv', 'xlsx']) {
      const r = exportOnce(ds, format);
      const ratio = r.seconds / floor.seconds;
      log(`${ds.name}: ${format} ${r.seconds} s, peak RSS ${r.peakRssMB} MB (${ratio.toFixed(2)}× COPY)`);
      results.push({
        orders: n,
        tenantOrders: ds.orders,
        database: ds.name,
        format,
        tickets: r.tickets,
        seconds: r.seconds,
        rowsPerSecond: r.rowsPerSecond,
        peakRssMB: r.peakRssMB,
        // the download file's size; 0 when the files went as attachments
        fileMB: Math.round(r.fileBytes / 1e5) / 10,
        copySeconds: Math.round(floor.seconds * 100) / 100,
        copyMB: Math.round(floor.bytes / 1e5) / 10,
        ratio: Math.round(ratio * 100) / 100,
        pass: ratio <= TARGET[format] && r.peakRssMB <= TARGET.rssMB,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = (performance.now() - t0) / 1000;
const head = '| orders exported | format | tickets | export s | rows/s | peak RSS MB | download MB | COPY s | COPY MB | × COPY | target |';
const lines = results.map(
  (r) =>
    `| ${r.tenantOrders.toLocaleString('en')} | ${r.format} | ${r.tickets.toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${r.rowsPerSecond.toLocaleString('en')} | ` +
    `${r.peakRssMB} | ${r.fileMB || 'attached'} | ${r.copySeconds.toFixed(2)} | ${r.copyMB} | ${r.ratio.toFixed(2)} | ` +
    `${r.orders >= 1e6 ? `${r.pass ? 'pass' : '**FAIL**'} ≤ ${TARGET[r.format]}× COPY, ≤ ${TARGET.rssMB} MB` : '–'} |`,
);
const md = [
  `# Export benchmark ${quick ? '(quick) ' : ''}${machine.date}`,
  '',
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB; Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' ')}.`,
  `${quick ? 'The largest tenant of the 50k dataset' : 'One organiser sees every order'}. Export s: the worker picking the job to the e-mail handed over ` +
    '(files above EXPORT_MAX_ATTACHMENT_BYTES go as a download link — the xlsx, or the csv files zipped — smaller ones as attachments), rows = orders + tickets. COPY s: psql `COPY (<same join, same order>) TO STDOUT WITH CSV` ' +
    `of orders and tickets into files, best of two after a warm-up. Targets (1M): CSV ≤ ${TARGET.csv}× COPY, XLSX ≤ ${TARGET.xlsx}× COPY, peak RSS ≤ ${TARGET.rssMB} MB. ` +
    `Total run time ${seconds.toFixed(0)} s.`,
  '',
  head,
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...lines,
  '',
].join('\n');
process.stdout.write(`${md}\n`);
const stamp = `${started.toISOString().slice(0, 16).replace(':', '-')}${quick ? '-quick' : ''}`;
writeFileSync(join(benchDir, `export-${stamp}.md`), `${md}\n`);
const json = `${JSON.stringify({ quick, machine, targets: TARGET, seconds: Math.round(seconds), results }, null, 2)}\n`;
writeFileSync(join(benchDir, `export-${stamp}.json`), json);
writeFileSync(join(benchDir, 'export-latest.json'), json);
log(`done in ${seconds.toFixed(1)} s; wrote .bench/export-${stamp}.md and .json`);
