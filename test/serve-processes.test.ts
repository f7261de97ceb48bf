/**
 * `kassa serve --processes N` (src/cli/cluster.ts) as real processes: the API
 * answered by several processes on one port, /metrics summed over them, a
 * process that dies replaced, SIGTERM stopping them all, and a setup whose
 * processes cannot start ending with an error instead of restarting forever.
 * Which process answered is read from the request log lines (their pid).
 */
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { runCli } from './support/cli.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';
import { Proc, freePort, until } from './support/processes.js';

const ORDERS_PATH = '/v2/resources/orders?page_size=5';

interface LogLine {
  pid: number;
  msg: string;
  req?: { url: string };
  apiProcess?: number;
}

const logLines = (p: Proc): LogLine[] =>
  p.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** GET on a new connection each time: node:cluster hands connections to its processes in turn. */
function getFresh(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { ...headers, connection: 'close' }, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 15 s`)));
    req.end();
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.each(DIALECTS)('serve --processes (%s)', { timeout: 120_000 }, (dialect) => {
  let t: TestDb;
  let dataDir: string;
  let env: Record<string, string>;
  let key: string;
  let procs: Proc[] = [];

  beforeAll(async () => {
    t = await createTestDb(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'kassa-cluster-'));
    env = { PATH: process.env.PATH ?? '', DATABASE_URL: t.url, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const seeded = await runCli(['seed', '--orders', '300', '--seed', '5'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    key = seeded.stdout.trim().split('\n')[1]!.split('\t')[2]!;
  });

  afterEach(async () => {
    const leftovers = procs;
    procs = [];
    await Promise.all(leftovers.map((p) => p.stop('SIGKILL')));
  });

  afterAll(async () => {
    await t?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** `kassa serve --processes n` once it says it listens, with its API processes' pids. */
  async function startCluster(n: number, extra: string[] = []): Promise<{ proc: Proc; base: string; pids: number[] }> {
    const port = await freePort();
    const proc = new Proc('cluster', ['serve', '--processes', String(n), '--port', String(port), ...extra], env);
    procs.push(proc);
    onTestFailed(() => console.error(`--- cluster (pid ${proc.pid}, exit ${JSON.stringify(proc.exitInfo)}) ---\n${proc.output}`));
    // the processes' own lines may come after the primary's: each writes to the pipe itself
    const pids = await until('the cluster to listen', async () => {
      if (!proc.running) throw new Error(`the cluster exited early: ${JSON.stringify(proc.exitInfo)}`);
      const lines = logLines(proc);
      const listening = [...new Set(lines.filter((l) => l.msg === 'API process is listening').map((l) => l.pid))];
      return lines.some((l) => l.msg === 'kassa is listening' && l.pid === proc.pid) && listening.length >= n && listening;
    });
    return { proc, base: `http://127.0.0.1:${port}`, pids };
  }

  /** pids of the processes that logged an incoming list request */
  const listAnsweredBy = (p: Proc) => new Set(logLines(p).filter((l) => l.msg === 'incoming request' && l.req?.url === ORDERS_PATH).map((l) => l.pid));

  const metric = (text: string, line: RegExp): number => {
    const m = new RegExp(`^${line.source} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${line.source} in:\n${text}`);
    return Number(m[1]);
  };

  it('answers on one port from every process; a scrape of any of them returns their sum', async () => {
    const { proc, base, pids } = await startCluster(2, ['--no-worker']);
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(proc.pid);

    const auth = { authorization: `key ${key}` };
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await getFresh(`${base}${ORDERS_PATH}`, auth));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    // every process reads the same database: the same page
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(JSON.parse(answers[0]!.body).data).toHaveLength(5);
    await until('the request log lines', async () => logLines(proc).filter((l) => l.msg === 'incoming request' && l.req?.url === ORDERS_PATH).length === 12);
    expect([...listAnsweredBy(proc)].sort()).toEqual([...pids].sort());

    // one export job queued: every process reads it from the database, and the gauge is not summed
    const queued = await fetch(`${base}/v2/resources/orders/export`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'manager@example.com', format: 'csv' }),
    });
    expect(queued.status).toBe(200);

    // scrapes on new connections reach both processes; each answers for the whole cluster
    for (let i = 0; i < 4; i++) {
      const scrape = await getFresh(`${base}/metrics`);
      expect(scrape.status).toBe(200);
      expect(metric(scrape.body, /kassa_http_requests_total\{method="GET",route="\/v2\/resources\/orders",status="200"\}/)).toBe(12);
      expect(metric(scrape.body, /kassa_export_jobs\{state="queued"\}/)).toBe(1);
    }
    const scrapedBy = new Set(logLines(proc).filter((l) => l.msg === 'incoming request' && l.req?.url === '/metrics').map((l) => l.pid));
    expect(scrapedBy.size).toBe(2);
  });

  it('starts another process when one dies, and keeps answering', async () => {
    const { proc, base, pids } = await startCluster(2, ['--no-worker']);
    process.kill(pids[0]!, 'SIGKILL');
    // Once the primary has seen the death: a connection it handed to the dead
    // process in the instant before is lost with it (node:cluster does not
    // hand it to another process).
    await until('the primary to see the exit', async () =>
      logLines(proc).some((l) => l.msg === 'an API process exited; starting another' && l.apiProcess === pids[0]),
    );
    // scrapes while the replacement starts: answered by the processes that are up
    const scrapes: number[] = [];
    const replacement = await until('a replacement process', async () => {
      scrapes.push((await getFresh(`${base}/metrics`)).status);
      return logLines(proc).find((l) => l.msg === 'replacement API process is listening')?.apiProcess;
    });
    expect(scrapes.length).toBeGreaterThan(1);
    expect(scrapes.filter((status) => status !== 200)).toEqual([]);
    expect(pids).not.toContain(replacement);

    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await getFresh(`${base}${ORDERS_PATH}`, { authorization: `key ${key}` }));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect([...listAnsweredBy(proc)].sort()).toEqual([pids[1]!, replacement].sort());
  });

  it('SIGTERM stops every process (export workers included) and exits 0', async () => {
    const { proc, pids } = await startCluster(3);
    expect(pids).toHaveLength(3);
    const exit = await proc.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(pids.filter(alive)).toEqual([]);
    const lines = logLines(proc);
    for (const pid of pids) {
      expect(lines.some((l) => l.pid === pid && l.msg === 'shutting down')).toBe(true);
      expect(lines.some((l) => l.pid === pid && l.msg === 'export worker stopped')).toBe(true);
    }
    expect(lines.some((l) => l.msg === 'an API process exited; starting another')).toBe(false);
  });

  it('gives up with an error when its processes cannot start (the port is taken)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (blocker.address() as { port: number }).port;
      const proc = new Proc('cluster', ['serve', '--processes', '2', '--no-worker', '--port', String(port)], env);
      procs.push(proc);
      const exit = await proc.exited;
      expect(exit.code).toBe(1);
      expect(proc.output).toContain('EADDRINUSE');
      expect(proc.output).toContain('API processes exited 3 times in a row right after starting');
    } finally {
      blocker.close();
    }
  });
});
