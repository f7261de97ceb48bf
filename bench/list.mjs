// List benchmark: GET /v2/resources/orders measured with autocannon next to
// two floors measured in the same run (issue 4):
//   (a) raw SQL — the same result (count, page of orders, their tickets,
//       events and partners) by hand-written SQL straight through pg /
//       better-sqlite3, no HTTP, no Kysely;
//   (b) HTTP — a bare node:http server (a child process) answering the same
//       request with the same pre-serialised body.
// Informational: (a) and (b) in one server (the child with --sql), which runs
// the SQL floor per request before it sends the body.
// Datasets: PostgreSQL 1M orders (kassa_bench_1m), SQLite 200k orders
// (.bench/sqlite-200k.db); reused when they already hold that many orders.
// The API runs as operators would run it on this machine: `kassa serve
// --processes <cores>`; at c=16 a one-process API is measured too (a column).
// Usage: node bench/list.mjs [--quick] [--only pg|sqlite] [--duration S] [--warmup S]
//                             [--sql-ms MS] [--concurrency 1,16] [--pg-orders N] [--json FILE]
//                             [--processes N]
//   --processes  the API's processes (default: one per core; 1 skips the one-process column)
//   --quick      50k orders on both databases, short runs (CI: checks that it runs)
//   --pg-orders  PostgreSQL with N orders (kassa_bench_<N>) instead of 1M (growth curve)
//   --json       also write the results to FILE (bench/run.mjs reads it)
// Prints a markdown table per database and writes .bench/results-<date>.{md,json}.
// Exit 0 when the run completed (targets are reported, not enforced).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lit, pgFloor, pgFloorPools, sqliteFloor } from './floor.mjs';
import { interleave } from './interleave.mjs';
import { pgDatabase, sizeLabel } from './datasets.mjs';
import { freePort, machineCpu, machineInfo } from './machine.mjs';

// ---------------------------------------------------------------------------
// Child mode: the HTTP floor. Serves pre-serialised bodies by request URL.
// With --sql (informational "one-server floor"): first runs the raw-SQL floor
// of the request's query ('pipelined' variant on PostgreSQL, 'rows' on
// SQLite), as a server doing nothing but that SQL and sending the answer would.
if (process.argv[2] === '--floor-server') {
  const dir = process.argv[3];
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const bodies = new Map(Object.entries(index.bodies).map(([url, file]) => [url, readFileSync(join(dir, file))]));
  let sqlOf = new Map();
  if (process.argv[4] === '--sql') {
    const { kind, target, queries } = index.sql;
    let floors;
    if (kind === 'postgres') {
      const { default: pg } = await import('pg');
      floors = pgFloor(...pgFloorPools(pg, target, 16));
    } else {
      const { default: Database } = await import('better-sqlite3');
      floors = sqliteFloor(new Database(target, { readonly: true }));
    }
    const variant = kind === 'postgres' ? floors.pipelined : floors.rows;
    sqlOf = new Map(Object.entries(queries).map(([url, q]) => [url, variant(q)]));
  }
  const server = createServer(async (req, res) => {
    const body = bodies.get(req.url);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
      return;
    }
    const sql = sqlOf.get(req.url);
    if (sql) await sql();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const { default: autocannon } = await import('autocannon');
  const { default: Database } = await import('better-sqlite3');
  const { default: pg } = await import('pg');

  const argv = process.argv.slice(2);
  const flag = (name) => argv.includes(`--${name}`);
  const arg = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? fallback : argv[i + 1];
  };
  const quick = flag('quick');
  const only = arg('only', 'pg,sqlite').split(',');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const cli = join(root, 'dist/cli/main.js');
  const benchDir = join(root, '.bench');
  mkdirSync(benchDir, { recursive: true });
  const pgBase = process.env.KASSA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

  const cfg = quick
    ? {
        pg: { db: 'kassa_bench_50k', orders: 50_000, minTenant: 0 },
        sqlite: { file: join(benchDir, 'sqlite-50k.db'), orders: 50_000 },
        warmup: 0.1, // autocannon, seconds
        settle: 0.05,
        settleQueries: 1, // CI: the code path, not the warmth
        duration: 0.2,
        sqlWarmupMs: 30,
        sqlMs: 100,
        sqlMinIterations: 5,
      }
    : {
        pg: { db: 'kassa_bench_1m', orders: 1_000_000, minTenant: 400_000 },
        sqlite: { file: join(benchDir, 'sqlite-200k.db'), orders: 200_000 },
        warmup: 3,
        settle: 2,
        settleQueries: Infinity,
        duration: 10,
        sqlWarmupMs: 1000,
        sqlMs: 5000,
        sqlMinIterations: 100,
      };
  // --pg-orders N: another PostgreSQL size (the growth curve, bench/run.mjs)
  if (argv.includes('--pg-orders')) {
    const n = Number(arg('pg-orders'));
    cfg.pg = { db: `kassa_bench_${sizeLabel(n)}`, orders: n, minTenant: 0 };
  }
  if (argv.includes('--sql-ms')) cfg.sqlMs = Number(arg('sql-ms'));
  if (argv.includes('--duration')) cfg.duration = Number(arg('duration'));
  if (argv.includes('--warmup')) cfg.warmup = Number(arg('warmup'));
  const TARGET = { p50Ratio: 1.5, throughput: 0.7, deepP50Ms: 100 };
  const CONCURRENCY = arg('concurrency', '1,16').split(',').map(Number);
  const PROCESSES = Number(arg('processes', String(availableParallelism())));
  const WARM_CONNECTIONS = 2 * PROCESSES;

  const children = new Set();
  const killChildren = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.on('exit', killChildren);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killChildren();
      process.exit(130);
    });
  }

  const log = (msg) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  const t0 = performance.now();

  // -------------------------------------------------------------------------
  // helpers

  function percentile(sorted, p) {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  }
  function stats(latencies, seconds) {
    const s = Float64Array.from(latencies).sort();
    const sum = s.reduce((a, b) => a + b, 0);
    return {
      n: s.length,
      p50: percentile(s, 50),
      p99: percentile(s, 99),
      mean: s.length ? sum / s.length : NaN,
      rps: s.length / seconds,
    };
  }
  const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null);

  // Machine-wide CPU (every process: server, database, load generator) per
  // request at c=16, to see what a saturated machine can give: the API has to
  // pay for what both floors pay, on the same cores.
  const CORES = availableParallelism();
  function kassa(args, databaseUrl) {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kassa ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  /** An API key for the tenant (`kassa keys create` prints only the token on stdout). */
  async function apiKey(databaseUrl, partner) {
    const token = (await kassa(['keys', 'create', '--partner', partner, '--name', 'bench'], databaseUrl)).trim().split('\n').pop();
    if (!/^[a-z0-9]{32}$/.test(token)) throw new Error(`kassa keys create printed no token: ${token}`);
    return token;
  }

  function seedAsync(databaseUrl, orders) {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'seed', '--orders', String(orders), '--seed', '1'], {
        env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      let tail = '';
      child.stderr.on('data', (d) => {
        tail = (tail + d).slice(-4000);
        if (!quick) process.stderr.write(d);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        children.delete(child);
        if (code === 0) resolve();
        else reject(new Error(`kassa seed into ${databaseUrl} exited with ${code}:\n${tail}`));
      });
    });
  }

  async function startApi(databaseUrl, processes) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'kassa-bench-list-'));
    let stderr = '';
    const child = spawn(process.execPath, [cli, 'serve', '--no-worker', '--processes', String(processes), '--port', String(port)], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(child);
    child.stderr.on('data', (d) => {
      stderr += d;
      process.stderr.write(d);
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`kassa serve exited with ${child.exitCode} before /readyz:\n${stderr}`);
      try {
        const res = await fetch(`${base}/readyz`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`kassa serve (${databaseUrl}) not ready after 60 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { base, child, stop: () => stopChild(child).then(() => rmSync(dataDir, { recursive: true, force: true })) };
  }

  async function startFloorServer(dir, withSql = false) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--floor-server', dir, ...(withSql ? ['--sql'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    const port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.on('exit', (code) => reject(new Error(`HTTP floor server exited with ${code}`)));
    });
    return { base: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
  }

  function stopChild(child) {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        children.delete(child);
        return resolve();
      }
      child.once('exit', () => {
        children.delete(child);
        resolve();
      });
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  }

  // Every quantity a ratio compares is measured in the same stretch of time:
  // the runs of one query (the SQL floor's variants, the API, the HTTP floor,
  // the one-server floor) are cut into ROUNDS slices and taken in turn, round
  // by round, and each one's samples are pooled. On a VM whose speed drifts
  // by tens of percent within minutes, timing each once in sequence let the
  // drift decide the ratio, and the fastest of several variants timed at
  // different moments sat below what any of them typically takes.
  const ROUNDS = quick ? 2 : 5;
  // the settling's loops per SQL variant: 4, not 16 — warmth needs no more, and every
  // connection opened there stays open a while (PostgreSQL's max_connections)
  const SETTLE_LOOPS = 4;
  // and each SQL variant's share of the settling: a quarter of a server's per query
  const SETTLE_SQL_SECONDS = cfg.settle / 4;

  /** Pools the chunks of one participant: {latencies, seconds, busyMs} each. */
  function pooled(chunks) {
    const latencies = chunks.flatMap((c) => c.latencies);
    const seconds = chunks.reduce((s, c) => s + c.seconds, 0);
    const busy = chunks.every((c) => c.busyMs !== null) ? chunks.reduce((s, c) => s + c.busyMs, 0) : null;
    return { ...stats(latencies, seconds), cpuMs: busy === null || latencies.length === 0 ? null : busy / latencies.length };
  }

  /** The participants interleaved over ROUNDS rounds (interleave.mjs); pooled stats by name. */
  async function interleaved(participants) {
    const chunks = await interleave(participants, ROUNDS);
    return Object.fromEntries(Object.entries(chunks).map(([name, c]) => [name, pooled(c)]));
  }

  /**
   * Before a database's first measured run: each server under c=16 load on
   * every query in turn (cfg.settle seconds per query and server), and each
   * SQL variant in SETTLE_LOOPS loops (a quarter of that), all discarded. Why: a fresh
   * API process kept getting faster for tens of seconds of load after the
   * per-run warm-up (its c=1 p50 for the unfiltered page 3.3–3.7 ms right
   * after the 3 s warm-up, 2.1–2.7 ms after 10 s more of load; scratch
   * measurement, 2026-11-30 20:00), and the first query was measured in
   * that time while every later one followed the previous query's c=16
   * runs. Every participant gets the same treatment.
   */
  async function settle(urls, fnsByQuery, headers) {
    for (const [i, fns] of fnsByQuery.entries()) {
      for (const base of urls.servers) await cannon(base + urls.paths[i], 16, cfg.settle, headers);
      for (const fn of Object.values(fns)) {
        const until = performance.now() + SETTLE_SQL_SECONDS * 1000;
        await Promise.all(Array.from({ length: SETTLE_LOOPS }, async () => {
          while (performance.now() < until) await fn();
        }));
      }
    }
  }

  /** Busy CPU milliseconds of the whole machine between readings a and b. */
  function busyMs(a, b, seconds) {
    if (!a || !b || b.total === a.total) return null;
    return (1 - (b.idle - a.idle) / (b.total - a.total)) * CORES * seconds * 1000;
  }

  /** One autocannon run with our own sub-millisecond latency record (autocannon's histogram is whole ms). */
  async function cannon(url, connections, seconds, headers) {
    const latencies = [];
    const cpuBefore = machineCpu();
    const instance = autocannon({ url, connections, duration: seconds, headers, sampleInt: 100 });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    const result = await instance;
    const cpuAfter = machineCpu();
    // autocannon stops by dropping its connections: up to `connections` requests
    // are still being answered by the server. Let them finish before the next run.
    const sorted = Float64Array.from(latencies).sort();
    await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(50, 1.5 * (percentile(sorted, 99) || 0)))));
    const bad = result.non2xx + result.errors + result.timeouts;
    if (bad > 0) {
      throw new Error(
        `${url} c=${connections}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts (status codes ${JSON.stringify(result.statusCodeStats)})`,
      );
    }
    return { latencies, seconds: result.duration, busyMs: busyMs(cpuBefore, cpuAfter, result.duration) };
  }

  /** An HTTP participant: `connections` autocannon connections on url, cfg.duration in all. */
  function httpParticipant(name, url, connections, headers) {
    return {
      name,
      // Discarded. With at least two connections per API process: the cluster
      // hands each new connection to the next process, so a c=1 warm-up would
      // warm one process and the measured connection could land on the other,
      // still cold one.
      warm: () => cannon(url, Math.max(connections, WARM_CONNECTIONS), cfg.warmup, headers),
      slice: () => cannon(url, connections, cfg.duration / ROUNDS, headers),
    };
  }

  /** A sequential participant: fn called in a loop, ≥ sqlMs and ≥ sqlMinIterations in all. */
  function sequentialParticipant(name, fn) {
    const ms = cfg.sqlMs / ROUNDS;
    const minIterations = Math.ceil(cfg.sqlMinIterations / ROUNDS);
    return {
      name,
      warm: async () => {
        const warmEnd = performance.now() + cfg.sqlWarmupMs;
        do await fn();
        while (performance.now() < warmEnd);
      },
      slice: async () => {
        const latencies = [];
        const start = performance.now();
        while ((performance.now() - start < ms || latencies.length < minIterations) && performance.now() - start < ms * 3) {
          const t = performance.now();
          await fn();
          latencies.push(performance.now() - t);
        }
        return { latencies, seconds: (performance.now() - start) / 1000, busyMs: null };
      },
    };
  }

  /** A concurrent participant: `loops` async loops over fn, cfg.duration in all. */
  function concurrentParticipant(name, fn, loops) {
    const run = async (ms, record) => {
      const end = performance.now() + ms;
      await Promise.all(
        Array.from({ length: loops }, async () => {
          while (performance.now() < end) {
            const t = performance.now();
            await fn();
            record?.push(performance.now() - t);
          }
        }),
      );
    };
    return {
      name,
      warm: () => run(cfg.warmup * 1000),
      slice: async () => {
        const latencies = [];
        const cpuBefore = machineCpu();
        const start = performance.now();
        await run((cfg.duration / ROUNDS) * 1000, latencies);
        const seconds = (performance.now() - start) / 1000;
        return { latencies, seconds, busyMs: busyMs(cpuBefore, machineCpu(), seconds) };
      },
    };
  }

  /** The list queries for one tenant: the API parameters and, written by hand, the floor's WHERE. */
  function listQueries(t) {
    // where: the rows, on order_access; cwhere: the same rows' count, on
    // order_counts (the buckets of whole UTC months, '' = all events). Every
    // created_at range here is whole months, so no partial edge is counted.
    const P = `partner_id = ${lit(t.partner)}`;
    const ALL = `${P} AND event_id = ''`;
    return [
      { name: 'no filters', params: {}, where: P, cwhere: ALL, size: 50, page: 1 },
      { name: 'deep page 1000', params: { page: '1000' }, where: P, cwhere: ALL, size: 50, page: 1000 },
      { name: 'status=done', params: { status: 'done' }, where: `${P} AND status = 'done'`, cwhere: `${ALL} AND status = 'done'`, size: 50, page: 1 },
      {
        name: `month ${t.month.label}`,
        params: { created_at: `${t.month.fromText},${t.month.toText}` },
        where: `${P} AND created_at >= ${t.month.from} AND created_at < ${t.month.to}`,
        cwhere: `${ALL} AND month >= ${t.month.from} AND month < ${t.month.to}`,
        size: 50,
        page: 1,
      },
      {
        name: 'one event',
        params: { events: t.event },
        where: `${P} AND event_id = ${lit(t.event)}`,
        cwhere: `${P} AND event_id = ${lit(t.event)}`,
        size: 50,
        page: 1,
      },
      {
        name: 'only_with_customer',
        params: { only_with_customer: 'true' },
        where: `${P} AND has_customer = 1`,
        cwhere: `${ALL} AND has_customer = 1`,
        size: 50,
        page: 1,
      },
      {
        name: 'all filters',
        params: {
          created_at: `${t.combo.fromText},${t.combo.toText}`,
          status: 'done,cancelled',
          events: t.event,
          only_with_customer: 'true',
        },
        where: `${P} AND created_at >= ${t.combo.from} AND created_at < ${t.combo.to} AND status IN ('done','cancelled') AND event_id = ${lit(t.event)} AND has_customer = 1`,
        cwhere: `${P} AND event_id = ${lit(t.event)} AND month >= ${t.combo.from} AND month < ${t.combo.to} AND status IN ('done','cancelled') AND has_customer = 1`,
        size: 50,
        page: 1,
      },
      { name: 'page_size=200', params: { page_size: '200' }, where: P, cwhere: ALL, size: 200, page: 1 },
    ].map((q) => {
      const qs = new URLSearchParams(q.params).toString();
      return { ...q, path: `/v2/resources/orders${qs ? `?${qs}` : ''}` };
    });
  }

  /** Month boundaries (seconds) for the calendar months [y-m .. y-m+span-1], UTC. */
  function months(year, month0, span) {
    const from = Date.UTC(year, month0, 1) / 1000;
    const to = Date.UTC(year, month0 + span, 1) / 1000;
    const lastDay = new Date((to - 86_400) * 1000).toISOString().slice(0, 10);
    const fromText = new Date(from * 1000).toISOString().slice(0, 10);
    return { from, to, fromText, toText: lastDay, label: span === 1 ? fromText.slice(0, 7) : `${fromText.slice(0, 7)}..${lastDay.slice(0, 7)}` };
  }

  /** Picks the tenant-specific parameters from the data (one SQL runner for both dialects). */
  async function tenantParams(one, partner, n) {
    const maxAt = Number((await one(`SELECT max(created_at) AS m FROM order_access WHERE partner_id = ${lit(partner)}`)).m);
    const maxDate = new Date(maxAt * 1000);
    // the last complete month: the month before the one holding the newest order
    const month = months(maxDate.getUTCFullYear(), maxDate.getUTCMonth() - 1, 1);
    const event = (
      await one(`SELECT event_id, count(*) AS n FROM order_access WHERE partner_id = ${lit(partner)} GROUP BY event_id ORDER BY n DESC, event_id LIMIT 1`)
    ).event_id;
    // the event's busiest month, and the months either side, for the combination
    const busiest = Number(
      (
        await one(
          `SELECT min(created_at) AS first_at, count(*) AS n FROM order_access WHERE partner_id = ${lit(partner)} AND event_id = ${lit(event)} ` +
            `GROUP BY created_at / 2592000 ORDER BY n DESC LIMIT 1`,
        )
      ).first_at,
    );
    const b = new Date(busiest * 1000);
    const combo = months(b.getUTCFullYear(), b.getUTCMonth() - 1, 3);
    return { partner, orders: n, month, event, combo };
  }

  /** Checks the floor computed the same page as the API answered. */
  function sameResult(name, body, floor) {
    const api = JSON.parse(body);
    const problems = [];
    if (api.pagination.total !== floor.total) problems.push(`total ${api.pagination.total} vs ${floor.total}`);
    const tickets = api.data.reduce((s, o) => s + o.tickets.length, 0);
    const a = api.data.map((o) => o.id).join(',');
    const f = floor.orders.map((o) => o.id).join(',');
    if (a !== f) problems.push('order ids differ');
    if (tickets !== floor.tickets.length) problems.push(`tickets ${tickets} vs ${floor.tickets.length}`);
    const sortIds = (ids) => [...ids].sort().join(',');
    if (sortIds(Object.keys(api.refs.events)) !== sortIds(floor.events.map((e) => e.id))) problems.push('refs.events differ');
    if (sortIds(Object.keys(api.refs.partners)) !== sortIds(floor.partners.map((p) => p.id))) problems.push('refs.partners differ');
    if (problems.length) throw new Error(`raw-SQL floor and API disagree for "${name}": ${problems.join('; ')}`);
    return { total: floor.total, rows: api.data.length, tickets, bytes: Buffer.byteLength(body) };
  }

  // -------------------------------------------------------------------------
  // datasets

  async function preparePg() {
    const { url, reused, count } = await pgDatabase(pgBase, cfg.pg.db, cfg.pg.orders);
    if (reused) {
      log(`PostgreSQL: reusing ${cfg.pg.db} (${count} orders)`);
    } else {
      log(`PostgreSQL: seeding ${cfg.pg.orders} orders into ${cfg.pg.db}…`);
      const t = performance.now();
      await seedAsync(url, cfg.pg.orders);
      log(`PostgreSQL: seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const never = (
      await c.query(
        "SELECT count(*) AS n FROM pg_stat_user_tables WHERE relname IN ('orders','order_access','tickets') AND last_vacuum IS NULL AND last_autovacuum IS NULL",
      )
    ).rows[0].n;
    // `kassa seed` vacuums and analyzes what it wrote (DECISIONS); a dataset seeded before it did is done here
    if (Number(never) > 0) {
      log('PostgreSQL: VACUUM ANALYZE');
      await c.query('VACUUM ANALYZE');
    }
    const top = (await c.query('SELECT partner_id, count(*) AS n FROM order_access GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1')).rows[0];
    const one = async (sql) => (await c.query(sql)).rows[0];
    const tenant = await tenantParams(one, top.partner_id, Number(top.n));
    const version = (await c.query('SHOW server_version')).rows[0].server_version;
    await c.end();
    if (tenant.orders < cfg.pg.minTenant) throw new Error(`largest tenant has ${tenant.orders} orders, expected ≥ ${cfg.pg.minTenant}`);
    return { url, tenant, version };
  }

  async function prepareSqlite() {
    const file = cfg.sqlite.file;
    const url = `sqlite:${file}`;
    let count = 0;
    if (existsSync(file)) {
      const db = new Database(file, { readonly: true });
      const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'orders'").get();
      if (table) count = db.prepare('SELECT count(*) AS n FROM orders').get().n;
      db.close();
    }
    if (count !== cfg.sqlite.orders) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      log(`SQLite: seeding ${cfg.sqlite.orders} orders into ${file}…`);
      const t = performance.now();
      await seedAsync(url, cfg.sqlite.orders);
      log(`SQLite: seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } else {
      log(`SQLite: reusing ${file} (${count} orders)`);
    }
    const db = new Database(file, { readonly: true });
    const top = db.prepare('SELECT partner_id, count(*) AS n FROM order_access GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1').get();
    const tenant = await tenantParams((sql) => db.prepare(sql).get(), top.partner_id, top.n);
    const version = db.prepare('SELECT sqlite_version() AS v').get().v;
    db.close();
    return { url, file, tenant, version };
  }

  // -------------------------------------------------------------------------
  // one database

  async function benchDatabase(kind, ds, api, api1, token) {
    const t = ds.tenant;
    log(
      `${kind}: tenant ${t.partner} (${t.orders} orders), month ${t.month.label}, event ${t.event}, combination ${t.combo.label}`,
    );
    const headers = { authorization: `key ${token}` };
    const queries = listQueries(t);

    // bodies for the HTTP floor, fetched once from the API
    const floorDir = mkdtempSync(join(tmpdir(), 'kassa-bench-floor-'));
    const index = {};
    const bodies = {};
    for (const [i, q] of queries.entries()) {
      const res = await fetch(api.base + q.path, { headers });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`${kind} ${q.name}: ${q.path} answered ${res.status}: ${body.toString().slice(0, 500)}`);
      writeFileSync(join(floorDir, `${i}.json`), body);
      index[q.path] = `${i}.json`;
      bodies[q.name] = body.toString();
    }
    const sqlQueries = Object.fromEntries(queries.map((q) => [q.path, { where: q.where, cwhere: q.cwhere, size: q.size, page: q.page }]));
    const target = kind === 'postgres' ? ds.url : ds.file;
    writeFileSync(join(floorDir, 'index.json'), JSON.stringify({ bodies: index, sql: { kind, target, queries: sqlQueries } }));
    const floorHttp = await startFloorServer(floorDir);
    const floorOne = await startFloorServer(floorDir, true);

    let pool;
    let pipelinedPool;
    let sdb;
    let floors;
    if (kind === 'postgres') {
      [pool, pipelinedPool] = pgFloorPools(pg, ds.url, 32);
      floors = pgFloor(pool, pipelinedPool);
    } else {
      sdb = new Database(ds.file, { readonly: true });
      sdb.pragma('busy_timeout = 10000');
      floors = sqliteFloor(sdb);
    }

    /** The SQL floor's variants for query q, by name. */
    const floorFns = (q) => Object.fromEntries(Object.entries(floors).map(([v, make]) => [v, make(q)]));
    const rows = [];
    try {
      log(`${kind}: settling (every server and SQL variant under load on each query)`);
      await settle(
        { servers: [api.base, ...(api1 ? [api1.base] : []), floorHttp.base, floorOne.base], paths: queries.map((q) => q.path) },
        queries.slice(0, cfg.settleQueries).map(floorFns),
        headers,
      );
      for (const q of queries) {
        log(`${kind}: ${q.name}`);
        // (a) raw SQL: check it computes what the API answered
        const fns = floorFns(q);
        for (const fn of Object.values(fns)) sameResult(q.name, bodies[q.name], await fn());
        // At c=1, every SQL variant, the API and (b) the HTTP floor (same
        // requests, same autocannon settings), and, informational, the SQL and
        // HTTP floors in one server, interleaved; the fastest variant (p50) is
        // the floor.
        const http = (c) => [
          httpParticipant('api', api.base + q.path, c, headers),
          // informational: the API in one process (at c=1 one process answers either way)
          ...(api1 && c > 1 ? [httpParticipant('api1', api1.base + q.path, c, headers)] : []),
          httpParticipant('http', floorHttp.base + q.path, c, headers),
          httpParticipant('one', floorOne.base + q.path, c, headers),
        ];
        const measured = {};
        const first = await interleaved([
          ...Object.entries(fns).map(([v, fn]) => sequentialParticipant(`sql:${v}`, fn)),
          ...(CONCURRENCY.includes(1) ? http(1) : []),
        ]);
        const seq = Object.fromEntries(Object.keys(fns).map((v) => [v, first[`sql:${v}`]]));
        const best = Object.keys(seq).sort((x, y) => seq[x].p50 - seq[y].p50)[0];
        const variants = Object.fromEntries(Object.entries(seq).map(([v, st]) => [v, { p50: r2(st.p50), p99: r2(st.p99), n: st.n }]));
        if (CONCURRENCY.includes(1)) measured[1] = { ...first, sql: seq[best], sqlVariant: best };
        // At c>1 PostgreSQL's floor is the faster (req/s) of the c=1 winner and
        // `pipelined`, the variant built for concurrency (its loops share their
        // connections): the two are close at c=1, far apart under load.
        const loaded = kind === 'postgres' ? [...new Set([best, ...(fns.pipelined ? ['pipelined'] : [])])] : [best];
        for (const c of CONCURRENCY.filter((x) => x !== 1)) {
          // SQLite is synchronous: its floor at any concurrency is one loop, one
          // core busy for the whole of each call (timed again, in these rounds)
          const sql = kind === 'postgres' ? loaded.map((v) => concurrentParticipant(`sql:${v}`, fns[v], c)) : [sequentialParticipant('sql:' + best, fns[best])];
          const group = await interleaved([...sql, ...http(c)]);
          const top = loaded.reduce((x, y) => (group[`sql:${y}`].rps > group[`sql:${x}`].rps ? y : x));
          group.sql = group[`sql:${top}`];
          group.sqlVariant = top;
          if (kind === 'postgres') group.sqlVariants = Object.fromEntries(loaded.map((v) => [v, { rps: r2(group[`sql:${v}`].rps), p50: r2(group[`sql:${v}`].p50) }]));
          else group.sql = { ...group.sql, rps: 1000 / group.sql.mean, cpuMs: group.sql.mean, note: 'synchronous: 1 / mean latency' };
          measured[c] = group;
        }
        const result = sameResult(q.name, bodies[q.name], await fns[best]());

        for (const c of CONCURRENCY) {
          const { api: a, api1: oneProcess, http: h, one: o, sql: s, sqlVariant, sqlVariants } = measured[c];
          const floorP50 = s.p50 + h.p50;
          const floorRps = c === 1 ? 1000 / (s.mean + h.mean) : Math.min(s.rps, h.rps);
          const p50Ratio = a.p50 / floorP50;
          const rpsRatio = a.rps / floorRps;
          // Each ratio target is also checked for the one-server floor (a server doing
          // nothing but both floors' work): where it misses too, no server doing at least that work met it in this run.
          const ratioCheck = (target, api, oneServer, meets) => ({ target, pass: meets(api), oneServer: r2(oneServer), oneServerPass: meets(oneServer) });
          const checks = [];
          if (c === 1) checks.push(ratioCheck(`p50 ≤ ${TARGET.p50Ratio}× floor`, p50Ratio, o.p50 / floorP50, (r) => r <= TARGET.p50Ratio));
          if (c === 16) checks.push(ratioCheck(`req/s ≥ ${TARGET.throughput * 100}% floor`, rpsRatio, o.rps / floorRps, (r) => r >= TARGET.throughput));
          if (c === 1 && q.page >= 1000) checks.push({ target: `p50 ≤ ${TARGET.deepP50Ms} ms`, pass: a.p50 <= TARGET.deepP50Ms });
          rows.push({
            query: q.name,
            path: q.path,
            concurrency: c,
            result,
            api: { p50: r2(a.p50), p99: r2(a.p99), rps: r2(a.rps), n: a.n, processes: PROCESSES },
            apiOneProcess: oneProcess ? { p50: r2(oneProcess.p50), rps: r2(oneProcess.rps), rpsRatio: r2(oneProcess.rps / floorRps) } : null,
            sqlFloor: { variant: sqlVariant, p50: r2(s.p50), p99: r2(s.p99), rps: r2(s.rps), n: s.n, variants: sqlVariants ?? variants },
            httpFloor: { p50: r2(h.p50), p99: r2(h.p99), rps: r2(h.rps), n: h.n },
            floor: { p50: r2(floorP50), rps: r2(floorRps) },
            oneServerFloor: { p50: r2(o.p50), p99: r2(o.p99), rps: r2(o.rps), n: o.n, p50Ratio: r2(a.p50 / o.p50), rpsRatio: r2(a.rps / o.rps) },
            p50Ratio: r2(p50Ratio),
            rpsRatio: r2(rpsRatio),
            // c>1: what the machine spent per request, and the req/s the saturated
            // cores allow when every request costs what both floors cost
            cpu:
              c !== 1 && a.cpuMs !== null && s.cpuMs !== null && h.cpuMs !== null
                ? { api: r2(a.cpuMs), sqlFloor: r2(s.cpuMs), httpFloor: r2(h.cpuMs), ceiling: r2((CORES * 1000) / (s.cpuMs + h.cpuMs)) }
                : null,
            checks,
          });
        }
      }
    } finally {
      await pool?.end();
      await pipelinedPool?.end();
      sdb?.close();
      await floorHttp.stop();
      await floorOne.stop();
      rmSync(floorDir, { recursive: true, force: true });
    }
    return rows;
  }

  // -------------------------------------------------------------------------
  // report

  function table(rows) {
    const head =
      '| query | conc | API p50 ms | API p99 ms | API req/s | SQL floor p50 ms | HTTP floor p50 ms | p50 ratio | floor req/s | req/s ratio | targets | one-server floor p50 ms, req/s (API ratios) | API in 1 process: req/s (ratio) | CPU ms/req: API; SQL + HTTP floors → ceiling req/s |';
    const sep = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|';
    const f = (x, d = 2) => (x === null || x === undefined ? '–' : x.toFixed(d));
    const lines = rows.map((r) =>
      [
        r.query,
        r.concurrency,
        f(r.api.p50),
        f(r.api.p99),
        f(r.api.rps, 0),
        `${f(r.sqlFloor.p50)} (${r.sqlFloor.variant})`,
        f(r.httpFloor.p50),
        r.concurrency === 1 ? f(r.p50Ratio) : `(${f(r.p50Ratio)})`,
        f(r.floor.rps, 0),
        f(r.rpsRatio),
        r.checks.map((c) => `${c.pass ? 'pass' : '**FAIL**'} ${c.target}${c.pass || c.oneServer === undefined ? '' : ` (one-server floor ${f(c.oneServer)}: ${c.oneServerPass ? 'meets it' : 'misses too'})`}`).join('; '),
        `${f(r.oneServerFloor.p50)}, ${f(r.oneServerFloor.rps, 0)} (${f(r.oneServerFloor.p50Ratio)}, ${f(r.oneServerFloor.rpsRatio)})`,
        r.apiOneProcess ? `${f(r.apiOneProcess.rps, 0)} (${f(r.apiOneProcess.rpsRatio)})` : '–',
        r.cpu ? `${f(r.cpu.api)}; ${f(r.cpu.sqlFloor)} + ${f(r.cpu.httpFloor)} → ${f(r.cpu.ceiling, 0)}` : '–',
      ].join(' | '),
    );
    return [head, sep, ...lines.map((l) => `| ${l} |`)].join('\n');
  }

  // -------------------------------------------------------------------------
  // run

  if (!existsSync(cli)) throw new Error(`${cli} not found: run npm run build first`);
  const started = new Date();
  const machine = machineInfo(started);

  // seed both datasets at once (they are independent; PostgreSQL's is the long one)
  const [pgDs, sqliteDs] = await Promise.all([
    only.includes('pg') ? preparePg() : null,
    only.includes('sqlite') ? prepareSqlite() : null,
  ]);
  if (pgDs) machine.postgres = pgDs.version;
  if (sqliteDs) machine.sqlite = sqliteDs.version;

  // the API servers and keys, started together (node start-up is slow on a busy machine)
  const withOneProcess = PROCESSES > 1 && CONCURRENCY.includes(16);
  const [pgApi, pgApi1, pgToken, sqliteApi, sqliteApi1, sqliteToken] = await Promise.all([
    pgDs && startApi(pgDs.url, PROCESSES),
    pgDs && withOneProcess && startApi(pgDs.url, 1),
    pgDs && apiKey(pgDs.url, pgDs.tenant.partner),
    sqliteDs && startApi(sqliteDs.url, PROCESSES),
    sqliteDs && withOneProcess && startApi(sqliteDs.url, 1),
    sqliteDs && apiKey(sqliteDs.url, sqliteDs.tenant.partner),
  ]);

  const results = [];
  for (const [kind, ds, label, api, api1, token] of [
    ['postgres', pgDs, `PostgreSQL ${pgDs?.version}, ${cfg.pg.orders.toLocaleString('en')} orders (${cfg.pg.db})`, pgApi, pgApi1, pgToken],
    ['sqlite', sqliteDs, `SQLite ${sqliteDs?.version}, ${cfg.sqlite.orders.toLocaleString('en')} orders (${cfg.sqlite.file.slice(root.length)})`, sqliteApi, sqliteApi1, sqliteToken],
  ]) {
    if (!ds) continue;
    const rows = await benchDatabase(kind, ds, api, api1 || null, token);
    await Promise.all([api.stop(), api1 && api1.stop()]);
    results.push({ database: kind, label, tenant: ds.tenant, rows });
  }

  const seconds = (performance.now() - t0) / 1000;
  const md = [
    `# List benchmark ${quick ? '(quick) ' : ''}${machine.date}`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB; ${machine.platform}; Node ${machine.node}` +
      `${machine.postgres ? `; PostgreSQL ${machine.postgres}` : ''}${machine.sqlite ? `; SQLite ${machine.sqlite}` : ''}; ` +
      `load average at start ${machine.loadAverageAtStart.join(' ')}.`,
    `Before a database's first run every server (c=16, ${cfg.settle} s per query) and SQL variant (${SETTLE_LOOPS} loops, ${SETTLE_SQL_SECONDS} s per query) is put under load, discarded. ` +
      `autocannon: ${cfg.warmup} s warm-up with at least ${WARM_CONNECTIONS} connections (so that every API process is warm; discarded), then ${cfg.duration} s per run; raw SQL: sequential ≥ ${cfg.sqlMs / 1000} s and ≥ ${cfg.sqlMinIterations} iterations per variant, ` +
      `at c>1 as many concurrent loops for ${cfg.duration} s on PostgreSQL — the c=1 winner and 'pipelined', the faster by req/s is the floor (SQLite is synchronous: one sequential loop again, its req/s is 1 / mean latency). ` +
      `Interleaved: for each query and concurrency every run (at c=1 each SQL variant, the API, the HTTP floor and the one-server floor; at c>1 the SQL floor's variants, ` +
      `the API, the one-process API and the two floors) is cut into ${ROUNDS} slices taken in turn, round by round (the order rotated each round, every other round backwards), ` +
      `and its samples pooled, so that each ratio compares runs from the same minutes. ` +
      `p50 ratio = API p50 / (SQL floor p50 + HTTP floor p50); floor req/s at c=16 = min(SQL req/s, HTTP floor req/s), at c=1 = 1 / (SQL mean + HTTP mean). ` +
      `At c=16 the SQL and HTTP p50s are those measured under 16-way load (SQLite: the sequential SQL p50) and the p50 ratio, in parentheses, is ` +
      `informational (queueing); the p50 target applies at c=1, the throughput target at c=16, the 100 ms deep-page target at c=1. ` +
      `The SQL floor (at c=1) is the fastest (by p50) of: rows = count ‖ page, then tickets+events+partners in one round trip; ` +
      `joined = one statement for the page with the total and each order's event and partners joined in, then the tickets; ` +
      `json = PostgreSQL: count ‖ one statement returning the page and its refs as json_agg; SQLite: count, the page with each order's JSON (its tickets in it) written by SQLite, then the events' and partners' JSON (the API's JSON writer's SQL, straight through better-sqlite3); ` +
      `prepared = rows as named prepared statements, refs by = ANY($1) (PostgreSQL); arrays = prepared with every row read as an array of values (pg's rowMode 'array', PostgreSQL); ` +
      `pipelined = arrays with count and page, then the three refs, pipelined on one connection and written in one send (pg's pipeline mode, PostgreSQL); concurrent loops share two such connections, as each API process does. ` +
      `The API runs as \`kassa serve --processes ${PROCESSES}\`${withOneProcess ? '; the last column is the same API in one process at c=16, informational' : ''}. ` +
      `Informational, not a target: the one-server floor is one node:http process that runs the SQL floor ('pipelined' on PostgreSQL, 'rows' on SQLite) for each request ` +
      `and then sends the pre-serialised body — the two floors as one real server pays them; its ratios are API / it. ` +
      `CPU ms/req (c=16): the whole machine's busy CPU time (/proc/stat: server, database and autocannon alike) per answered request; ` +
      `SQLite's SQL floor is synchronous, its CPU is its mean latency; the ceiling is ${CORES} cores / (SQL floor's + HTTP floor's CPU per request), ` +
      `the req/s at which a server paying both floors' work would saturate the machine. ` +
      `Counts come from order_counts (whole months; every range here is whole months). Total run time ${seconds.toFixed(0)} s.`,
    '',
  ];
  for (const r of results) {
    const t = r.tenant;
    md.push(
      `## ${r.label}`,
      '',
      `Tenant ${t.partner} sees ${t.orders.toLocaleString('en')} orders; month ${t.month.label}; event ${t.event}; all filters: ${t.combo.label}, done+cancelled, that event, customers only.`,
      '',
      table(r.rows),
      '',
    );
  }
  const text = md.join('\n');
  process.stdout.write(`${text}\n`);

  const stamp = `${started.toISOString().slice(0, 16).replace(':', '-')}${quick ? '-quick' : ''}`;
  writeFileSync(join(benchDir, `results-${stamp}.md`), `${text}\n`);
  if (argv.includes('--json')) writeFileSync(arg('json'), `${JSON.stringify({ quick, machine, results }, null, 2)}\n`);
  writeFileSync(
    join(benchDir, `results-${stamp}.json`),
    `${JSON.stringify({ quick, machine, settings: { ...cfg, rounds: ROUNDS, concurrency: CONCURRENCY, processes: PROCESSES, targets: TARGET }, seconds: Math.round(seconds), results }, null, 2)}\n`,
  );
  log(`done in ${seconds.toFixed(1)} s; wrote .bench/results-${stamp}.md and .json`);
}
