// Where the CPU of a list request at concurrency 16 goes, process by process
// (PostgreSQL only). Used to explain the list benchmark's throughput ratios:
// at c=16 the machine's two cores are the bound, so what matters is how much
// CPU each request costs and who spends it. Runs, alternated (interleave.mjs):
//   SQL floor, 1 process   — bench/floor.mjs 'pipelined', 16 concurrent loops in one process, as
//                            bench/list.mjs measures the floor's throughput
//   SQL floor, 2 processes — the same 16 loops as 2 processes × 8, one per core as the API runs
//   HTTP floor             — a bare node:http process sending the API's bytes
//   one-server floor, 1 / 2 processes — a bare node:http server (cluster for 2) that runs the
//                            SQL floor, then sends the API's bytes
//   API, 2 / 1 processes   — `kassa serve --no-worker --processes N`
// For each: req/s, the machine's busy cores and CPU per request (/proc/stat),
// and per request the CPU (/proc/<pid>/stat) and context switches
// (/proc/<pid>/status) of the run's own processes, of PostgreSQL's processes,
// and of this process (autocannon's load), from before and after each slice.
// Usage: node bench/cpu-split.mjs <postgres DATABASE_URL> <partner id> [query string] [--rounds 3] [--seconds 5]
//   a created_at range in the query string must be whole UTC months (floorQuery, bench/floor.mjs)
// Needs `npm run build` and a dataset from `npm run bench`; nothing else should run meanwhile.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ApiKeysRepository } from '../dist/auth/repository.js';
import { ApiKeysService } from '../dist/auth/service.js';
import { openDb } from '../dist/db/database.js';
import { floorQuery, pgFloor, pgFloorPools } from './floor.mjs';
import { interleave } from './interleave.mjs';
import { freePort, machineCpu } from './machine.mjs';

const CONCURRENCY = 16;
const self = fileURLToPath(import.meta.url);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const [role] = process.argv.slice(2);

if (role === '--loops') {
  // child: `loops` concurrent loops over the floor's statements, for as long as each message asks
  const [, url, partner, qs, loops] = process.argv.slice(2);
  const run = pgFloor(...pgFloorPools(pg, url, CONCURRENCY)).pipelined(floorQuery(partner, Object.fromEntries(new URLSearchParams(qs))).q);
  process.on('message', async ({ ms }) => {
    let n = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: Number(loops) }, async () => {
        while (performance.now() < end) {
          await run();
          n++;
        }
      }),
    );
    process.send({ n });
  });
  process.send('ready');
} else if (role === '--server') {
  // child: a bare server sending the bytes in `bodyFile`, after the floor's statements when `url` is given
  const [, bodyFile, processes, url, partner, qs] = process.argv.slice(2);
  if (cluster.isPrimary && Number(processes) > 1) {
    let up = 0;
    for (let i = 0; i < Number(processes); i++) cluster.fork().on('message', () => ++up === Number(processes) && process.send('ready'));
  } else {
    const body = readFileSync(bodyFile);
    const sql = url ? pgFloor(...pgFloorPools(pg, url, CONCURRENCY)).pipelined(floorQuery(partner, Object.fromEntries(new URLSearchParams(qs))).q) : null;
    const server = http.createServer(async (_req, res) => {
      if (sql) await sql();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
    });
    server.keepAliveTimeout = 72_000;
    // the port comes from the parent: one port for every process of a cluster
    server.listen(Number(process.env.CPU_SPLIT_PORT), '127.0.0.1', () => process.send('ready'));
  }
} else {
  await main();
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const [url, partner, qs = ''] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const rounds = option('--rounds', 3);
  const seconds = option('--seconds', 5);
  if (!url?.startsWith('postgres') || !/^[0-9a-f]{24}$/.test(partner ?? '')) {
    console.error('usage: node bench/cpu-split.mjs <postgres DATABASE_URL> <partner id> [query string] [--rounds 3] [--seconds 5]');
    process.exit(2);
  }
  floorQuery(partner, Object.fromEntries(new URLSearchParams(qs))); // fails early on a query the floor cannot write
  const path = `/v2/resources/orders${qs ? `?${qs}` : ''}`;
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  const dir = mkdtempSync(join(tmpdir(), 'kassa-cpu-split-'));
  const children = [];
  // this script's own children report over IPC; kassa serve gets no channel, as an operator starts it
  const child = (argv, env = {}, ipc = true) => {
    const c = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', ...(ipc ? ['ipc'] : [])] });
    children.push(c);
    return c;
  };
  const ready = (c) => new Promise((resolve, reject) => {
    c.once('message', resolve);
    c.once('exit', (code) => reject(new Error(`a child exited with ${code} before it was ready`)));
  });

  const db = openDb(url);
  const keys = new ApiKeysService(new ApiKeysRepository(db.kysely));
  const { id: keyId, token } = await keys.create(partner, 'cpu-split');
  const headers = { authorization: `key ${token}` };
  try {
    const api = async (processes) => {
      const port = await freePort();
      const c = child(
        [cli, 'serve', '--no-worker', '--processes', String(processes), '--port', String(port)],
        { DATABASE_URL: url, LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(dir, 'api-')) },
        false,
      );
      const base = `http://127.0.0.1:${port}`;
      for (let tries = 0; ; tries++) {
        if (c.exitCode !== null) throw new Error(`kassa serve exited with ${c.exitCode}`);
        const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
        if (ok) break;
        if (tries > 600) throw new Error('kassa serve not ready after 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      return { pids: [c.pid], url: `${base}${path}`, headers };
    };
    const api2 = await api(2);
    const api1 = await api(1);
    const res = await fetch(api2.url, { headers });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, Buffer.from(await res.arrayBuffer()));

    const server = async (processes, withSql) => {
      const port = await freePort();
      const c = child([self, '--server', bodyFile, String(processes), ...(withSql ? [url, partner, qs] : [])], { CPU_SPLIT_PORT: String(port) });
      await ready(c);
      return { pids: [c.pid], url: `http://127.0.0.1:${port}${path}` };
    };
    const loops = async (processes) => {
      const cs = Array.from({ length: processes }, () => child([self, '--loops', url, partner, qs, String(CONCURRENCY / processes)]));
      await Promise.all(cs.map(ready));
      const run = (ms) =>
        Promise.all(cs.map((c) => new Promise((resolve) => (c.once('message', resolve), c.send({ ms }))))).then((rs) => rs.reduce((s, r) => s + r.n, 0));
      return { pids: cs.map((c) => c.pid), run };
    };

    const runs = [
      ['SQL floor, 1 process × 16 loops', await loops(1)],
      ['SQL floor, 2 processes × 8 loops', await loops(2)],
      ['HTTP floor', await server(1, false)],
      ['one-server floor, 1 process', await server(1, true)],
      ['one-server floor, 2 processes', await server(2, true)],
      ['API, 2 processes', api2],
      ['API, 1 process', api1],
    ];
    const requests = async (run, s) => {
      if (run.run) return run.run(s * 1000);
      const r = await autocannon({ url: run.url, connections: CONCURRENCY, duration: s, headers: run.headers });
      if (r.non2xx || r.errors || r.timeouts) throw new Error(`${run.url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      return r.requests.total;
    };
    const chunks = await interleave(
      runs.map(([name, run]) => ({
        name,
        warm: () => requests(run, 3),
        slice: async () => {
          const m0 = machineCpu();
          const p0 = processes();
          const t0 = performance.now();
          const n = await requests(run, seconds);
          const s = (performance.now() - t0) / 1000;
          const split = groups(p0, processes(), run.pids);
          const m1 = machineCpu();
          // let requests still in flight at the end finish before the next slice
          await new Promise((r) => setTimeout(r, 300));
          return { n, s, busy: (1 - (m1.idle - m0.idle) / (m1.total - m0.total)) * availableParallelism() * s, split };
        },
      })),
      rounds,
    );

    console.log(`PostgreSQL ${path}, c=${CONCURRENCY}, ${rounds} rounds of ${seconds} s alternated`);
    console.log('CPU in ms per request; context switches per request, voluntary/involuntary');
    console.log('| run | req/s | machine: cores busy | machine: CPU ms/req | its processes | PostgreSQL | autocannon (this process) | other | its processes: switches | PostgreSQL: switches |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name] of runs) {
      const c = chunks[name];
      const n = c.reduce((a, x) => a + x.n, 0);
      const s = c.reduce((a, x) => a + x.s, 0);
      const busy = c.reduce((a, x) => a + x.busy, 0);
      const sum = (g, k) => c.reduce((a, x) => a + (x.split[g]?.[k] ?? 0), 0);
      const ms = (g) => ((sum(g, 'cpu') * 1000) / ticks / n).toFixed(3);
      const cs = (g) => `${(sum(g, 'vol') / n).toFixed(2)}/${(sum(g, 'nonvol') / n).toFixed(2)}`;
      console.log(
        `| ${name} | ${(n / s).toFixed(0)} | ${(busy / s).toFixed(2)} | ${((busy * 1000) / n).toFixed(3)} | ${ms('own')} | ${ms('postgres')} | ${ms('load')} | ${ms('other')} | ${cs('own')} | ${cs('postgres')} |`,
      );
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await keys.revoke(keyId);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every process's name, parent, CPU (user + system, clock ticks) and context switches. */
function processes() {
  const all = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      all.set(Number(d), {
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        ppid: Number(rest[1]),
        cpu: Number(rest[11]) + Number(rest[12]),
        vol: Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]),
        nonvol: Number(/\nnonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]),
      });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** The CPU and switches between two snapshots, grouped: the run's own process trees, PostgreSQL, this process, the rest. */
function groups(before, after, roots) {
  const own = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of after) {
      if (!own.has(pid) && own.has(p.ppid)) {
        own.add(pid);
        grew = true;
      }
    }
  }
  const out = {};
  for (const [pid, p] of after) {
    const b = before.get(pid) ?? { cpu: 0, vol: 0, nonvol: 0 };
    const g = own.has(pid) ? 'own' : pid === process.pid ? 'load' : p.comm.startsWith('postgres') ? 'postgres' : 'other';
    out[g] ??= { cpu: 0, vol: 0, nonvol: 0 };
    out[g].cpu += p.cpu - b.cpu;
    out[g].vol += p.vol - b.vol;
    out[g].nonvol += p.nonvol - b.nonvol;
  }
  return out;
}
