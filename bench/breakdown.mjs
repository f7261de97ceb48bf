// Where a list request's time goes, layer by layer, in one process (no
// sockets): each line adds one layer to the one before, so the differences
// are that layer's cost. Used to explain the list benchmark's ratios.
//   1. raw SQL        — bench/floor.mjs ('rows' variant) through pg / better-sqlite3
//   2. repository     — OrdersRepository.page(): the list's statements through Kysely (on SQLite
//                       they write the JSON, so this layer holds that work and the next one little)
//   3. service        — OrdersService.list(): + parsing the parameters and writing (PostgreSQL) or
//                       putting together (SQLite) the page's JSON bytes, which the route sends
//   4. bare HTTP      — the service's bytes sent by a bare node:http server over a keep-alive socket
//                       to a client in this process: + the socket's and the client's work
//   5. Fastify        — the whole API request over the same kind of socket (auth, routing, validation,
//                       hooks, metrics), so the last difference is what Fastify and the route add.
//                       Not app.inject(): light-my-request turns every answer into a string, which for a
//                       page of ~75 KB cost more than Fastify itself (2026-12-01: a quarter of its time).
// Usage: node bench/breakdown.mjs <DATABASE_URL> <partner id> [query string] [--ms 3000]
//   a created_at range in the query string must be whole UTC months (the floor counts from the month buckets alone)
// Needs `npm run build` and a dataset from `npm run bench`.
import Database from 'better-sqlite3';
import http from 'node:http';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../dist/config.js';
import { openDb, sqlitePath } from '../dist/db/database.js';
import { buildApp } from '../dist/http/app.js';
import { ApiKeysRepository } from '../dist/auth/repository.js';
import { ApiKeysService } from '../dist/auth/service.js';
import { OrdersRepository } from '../dist/orders/repository.js';
import { OrdersService } from '../dist/orders/service.js';
import { pageOffset } from '../dist/orders/filters.js';
import { floorQuery, pgFloor, pgFloorPools, sqliteFloor } from './floor.mjs';
import { interleave } from './interleave.mjs';

const [url, partner, qs = ''] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--ms');
const msArg = process.argv.indexOf('--ms');
const ms = msArg === -1 ? 3000 : Number(process.argv[msArg + 1]);
if (!url || !/^[0-9a-f]{24}$/.test(partner ?? '')) {
  console.error('usage: node bench/breakdown.mjs <DATABASE_URL> <partner id> [query string]');
  process.exit(2);
}
const query = Object.fromEntries(new URLSearchParams(qs));

const db = openDb(url);
const repo = new OrdersRepository(db.lists, db.dialect, db.pipeline);
const service = new OrdersService(repo);
const app = await buildApp({ db, logger: pino({ level: 'silent' }), config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }) });
await app.ready();
const { token } = await new ApiKeysService(new ApiKeysRepository(db.kysely)).create(partner, 'breakdown');
const path = `/v2/resources/orders${qs ? `?${qs}` : ''}`;

// the raw-SQL floor of bench/list.mjs ('rows' variant), for these parameters
const { filters, q } = floorQuery(partner, query);
const { page, size: pageSize } = q;
let rawFloor;
let closeFloor;
if (db.dialect === 'postgres') {
  const [pool, pipelinedPool] = pgFloorPools(pg, url, 4);
  rawFloor = pgFloor(pool, pipelinedPool).rows(q);
  closeFloor = () => Promise.all([pool.end(), pipelinedPool.end()]);
} else {
  const sdb = new Database(sqlitePath(url), { readonly: true });
  rawFloor = sqliteFloor(sdb).rows(q);
  closeFloor = () => sdb.close();
}

const layers = [
  ['raw SQL (floor)', rawFloor],
  [
    'repository (Kysely)',
    async () => {
      const read = await repo.page(partner, filters, pageSize, pageOffset({ page, pageSize }) ?? 0);
      if (read.form === 'rows') await read.refs;
    },
  ],
  ['service (+ params, writing the JSON bytes)', () => service.list(partner, query)],
  ['bare HTTP (+ socket, client)', () => get(bareUrl)],
  ['Fastify (+ auth, routing, hooks)', () => get(apiUrl, { authorization: `key ${token}` })],
];

// one keep-alive connection per server, as autocannon at c=1 holds one
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
        res.on('data', () => {});
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}
const bare = http.createServer((_req, res) => {
  service.list(partner, query).then(
    (body) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body),
    (err) => res.writeHead(500).end(String(err)),
  );
});
// each connection idles while the other layers are timed: no keep-alive timeout on either server
// (node's 5 s, Fastify's 72 s with a long --ms, would reset it under the client)
bare.keepAliveTimeout = 0;
await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://127.0.0.1:${bare.address().port}${path}`;
const apiUrl = `${await app.listen({ port: 0, host: '127.0.0.1' })}${path}`;
app.server.keepAliveTimeout = 0;

// The layers are timed in turn (interleave.mjs), SLICES slices of ms / SLICES
// each, and each layer's samples pooled, so that the differences between
// layers compare the same minutes.
const SLICES = 6;
async function timeFor(fn, sliceMs, times) {
  const end = performance.now() + sliceMs;
  while (performance.now() < end) {
    const t = performance.now();
    await fn();
    times?.push(performance.now() - t);
  }
}
async function measureAll() {
  const chunks = await interleave(
    layers.map(([name, fn]) => ({
      name,
      warm: () => timeFor(fn, Math.min(1000, ms / 3)),
      slice: async () => {
        const times = [];
        await timeFor(fn, ms / SLICES, times);
        return times;
      },
    })),
    SLICES,
  );
  return layers.map(([name]) => {
    const times = chunks[name].flat().sort((a, b) => a - b);
    return { n: times.length, p50: times[Math.floor(times.length / 2)], mean: times.reduce((a, b) => a + b, 0) / times.length };
  });
}

const res = await app.inject({ url: path, headers: { authorization: `key ${token}` } });
if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
console.log(`${db.dialect} ${path}: ${res.rawPayload.length} bytes, total ${res.json().pagination.total}`);
console.log('| layer | p50 ms | mean ms | + mean ms |');
console.log('|---|---:|---:|---:|');
let before = null;
const measured = await measureAll();
layers.forEach(([name], i) => {
  const m = measured[i];
  console.log(`| ${name} | ${m.p50.toFixed(3)} | ${m.mean.toFixed(3)} | ${before === null ? '' : (m.mean - before).toFixed(3)} |`);
  before = m.mean;
});
agent.destroy();
await new Promise((resolve) => bare.close(resolve));
await app.close();
await closeFloor();
await db.close();
