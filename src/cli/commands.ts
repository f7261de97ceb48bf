/**
 * The CLI's commands (SPEC §7). Messages go to stderr; machine output (tokens,
 * key lists, the demo URL and key) to stdout.
 */
import cluster from 'node:cluster';
import { createReadStream } from 'node:fs';
import { ApiKeysRepository } from '../auth/repository.js';
import { ApiKeysService } from '../auth/service.js';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openDb, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrations.js';
import { buildApp } from '../http/app.js';
import { readLines } from '../import/lines.js';
import { importItems, importLines, type ImportSummary } from '../import/service.js';
import type { ImportItem } from '../import/validate.js';
import { ExportsRepository } from '../exports/repository.js';
import { createMailer } from '../exports/mail.js';
import { ExportWorker } from '../exports/worker.js';
import { createLogger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { demoPartners, generateSeed } from '../seed/generator.js';
import { runCluster, untilToldToStop } from './cluster.js';
import { progress } from './progress.js';

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Opens the database and applies pending migrations (every command needs the current schema). */
async function openMigrated(config: Config): Promise<Db> {
  const db = openDb(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

function describeSummary(s: ImportSummary): string {
  return `${s.partners} partners, ${s.events} events, ${s.orders} orders (${s.tickets} tickets)`;
}

export async function migrateCommand(config: Config): Promise<void> {
  const db = openDb(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    say(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'the database is up to date');
  } finally {
    await db.close();
  }
}

export async function importCommand(config: Config, file: string): Promise<void> {
  const db = await openMigrated(config);
  try {
    const input = file === '-' ? process.stdin : createReadStream(file);
    const summary = await importLines(db, readLines(input), (n) => {
      if (process.stderr.isTTY) process.stderr.write(`\rimporting: ${n.toLocaleString('en-US')} lines\x1b[K`);
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    say(`imported ${describeSummary(summary)}`);
  } finally {
    await db.close();
  }
}

async function* countingOrders(items: Generator<ImportItem>, onOrder: (n: number) => void): AsyncGenerator<ImportItem> {
  let orders = 0;
  for (const item of items) {
    yield item;
    if (item.kind === 'order' && ++orders % 2000 === 0) onOrder(orders);
  }
}

/** Seeds deterministic demo data through the import path, with progress on stderr. */
async function seedInto(db: Db, orders: number, seed: number, organisers?: number): Promise<void> {
  const bar = progress('seeding orders', orders);
  const summary = await importItems(
    db,
    countingOrders(generateSeed({ orders, seed, ...(organisers ? { organisers } : {}) }), (n) => bar.update(n)),
  );
  bar.end();
  say(`seeded ${describeSummary(summary)}`);
}

export async function seedCommand(config: Config, options: { orders: number; seed: number; organisers?: number }): Promise<void> {
  const db = await openMigrated(config);
  try {
    await seedInto(db, options.orders, options.seed, options.organisers);
    const keys = new ApiKeysService(new ApiKeysRepository(db.kysely));
    process.stdout.write('partner\tname\tapi_key\n');
    for (const p of demoPartners(options.seed)) {
      const { token } = await keys.create(p.id, 'demo');
      process.stdout.write(`${p.id}\t${p.name}\t${token}\n`);
    }
  } finally {
    await db.close();
  }
}

export async function keysCreateCommand(config: Config, partner: string, name: string | undefined): Promise<void> {
  const db = await openMigrated(config);
  try {
    const { id, token } = await new ApiKeysService(new ApiKeysRepository(db.kysely)).create(partner, name ?? null);
    say(`created API key ${id} for partner ${partner}; the token is shown once:`);
    process.stdout.write(`${token}\n`);
  } finally {
    await db.close();
  }
}

function isoSeconds(s: number | null): string {
  return s === null ? '' : new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}

export async function keysListCommand(config: Config, partner: string | undefined, json: boolean): Promise<void> {
  const db = await openMigrated(config);
  try {
    const keys = await new ApiKeysService(new ApiKeysRepository(db.kysely)).list(partner);
    if (json) {
      process.stdout.write(`${JSON.stringify(keys.map((k) => ({ ...k, created_at: isoSeconds(k.created_at), revoked_at: k.revoked_at === null ? null : isoSeconds(k.revoked_at) })))}\n`);
      return;
    }
    process.stdout.write('id\tpartner\tname\tcreated_at\trevoked_at\n');
    for (const k of keys) {
      process.stdout.write(`${k.id}\t${k.partner}\t${k.name ?? ''}\t${isoSeconds(k.created_at)}\t${isoSeconds(k.revoked_at)}\n`);
    }
  } finally {
    await db.close();
  }
}

export async function keysRevokeCommand(config: Config, keyId: string): Promise<void> {
  const db = await openMigrated(config);
  try {
    await new ApiKeysService(new ApiKeysRepository(db.kysely)).revoke(keyId);
    say(`revoked API key ${keyId}`);
  } finally {
    await db.close();
  }
}

export interface ServeOptions {
  port: number;
  host: string;
  worker: boolean;
  /** API processes on the port (cluster.ts); 1 serves in this process */
  processes?: number;
  /** printed on stdout once listening (the demo's URL and key) */
  banner?: (url: string) => string;
}

function startWorker(config: Config, db: Db, logger: Logger, metrics: Metrics): ExportWorker {
  const mailer = createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir });
  const worker = new ExportWorker({ db, config, mailer, logger: logger.child({ component: 'worker' }), metrics });
  worker.start();
  return worker;
}

/** Resolves on the first SIGTERM or SIGINT. */
function untilSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** Runs the HTTP API (and, unless told not to, the export worker) until SIGTERM/SIGINT. */
export async function serve(config: Config, db: Db, options: ServeOptions): Promise<void> {
  // one API process of `serve --processes N` (cluster.ts)
  const clustered = cluster.isWorker;
  const logger = createLogger(config.logLevel);
  // from the start: a stop asked for while starting takes effect once listening
  const stopped = clustered ? untilToldToStop(logger) : untilSignal(logger);
  const repository = new ExportsRepository(db);
  const metrics = createMetrics(() => repository.countsByStatus(), clustered);
  const worker = options.worker ? startWorker(config, db, logger, metrics) : null;
  const app = await buildApp({ db, logger, config, metrics, ...(worker ? { onExportQueued: () => worker.nudge() } : {}) });
  const address = await app.listen({ port: options.port, host: options.host });
  const url = address.replace('://[::1]', '://localhost');
  // in a cluster the primary says it once, when all its processes listen
  if (clustered) logger.info({ url, worker: worker !== null }, 'API process is listening');
  else logger.info({ url, worker: worker !== null }, 'kassa is listening');
  if (options.banner) process.stdout.write(options.banner(url));
  await stopped;
  // Stop taking requests and jobs; a job being generated is released, one being sent is finished.
  await Promise.all([app.close(), worker?.stop()]);
  await db.close();
  // the channel to the primary would keep this process alive
  if (clustered && process.connected) process.disconnect();
}

export async function serveCommand(config: Config, options: ServeOptions): Promise<void> {
  if ((options.processes ?? 1) > 1 && cluster.isPrimary) {
    // migrations once, before any API process starts (each then finds none pending)
    await (await openMigrated(config)).close();
    await runCluster(options.processes!, createLogger(config.logLevel));
    return;
  }
  const db = await openMigrated(config);
  await serve(config, db, options);
}

/** The export worker alone, for scaled deployments. */
export async function workerCommand(config: Config): Promise<void> {
  const db = await openMigrated(config);
  const logger = createLogger(config.logLevel);
  const worker = startWorker(config, db, logger, createMetrics());
  await untilSignal(logger);
  await worker.stop();
  await db.close();
}

export const DEMO_ORDERS = 20_000;
export const DEMO_SEED = 1;

/** Seeds an empty database with demo data, then serves and prints the URL and a fresh key. */
export async function demoCommand(config: Config, options: ServeOptions): Promise<void> {
  const db = await openMigrated(config);
  const existing = await db.kysely
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(existing.n) === 0) {
    say(`empty database: seeding ${DEMO_ORDERS.toLocaleString('en-US')} demo orders…`);
    await seedInto(db, DEMO_ORDERS, DEMO_SEED);
  } else {
    say(`reusing the existing data (${Number(existing.n).toLocaleString('en-US')} orders)`);
  }
  const partner = demoPartners(DEMO_SEED)[0]!;
  const { token } = await new ApiKeysService(new ApiKeysRepository(db.kysely)).create(partner.id, 'demo');
  await serve(config, db, {
    ...options,
    banner: (url) =>
      [
        `Kassa demo: ${url}`,
        `API key (partner "${partner.name}"): ${token}`,
        `Try: curl -H 'Authorization: key ${token}' '${url}/v2/resources/orders?page_size=2'`,
        `API reference: ${url}/docs`,
        '',
      ].join('\n'),
  });
}
