// One export, measured in its own process (so its peak RSS is its own):
// queue an export for the partner, run the worker once, print a JSON line.
// Usage: node bench/export-run.mjs <database-url> <partner-id> <xlsx|csv> <data-dir>
import { rmSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../dist/config.js';
import { openDb } from '../dist/db/database.js';
import { createMailer } from '../dist/exports/mail.js';
import { ExportsRepository } from '../dist/exports/repository.js';
import { ExportsService } from '../dist/exports/service.js';
import { ExportWorker } from '../dist/exports/worker.js';

const [url, partner, format, dataDir] = process.argv.slice(2);
const config = loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent', EXPORT_RATE_LIMIT: '1000000', EXPORT_LEASE_MS: '60000' });
const db = openDb(url);
const repository = new ExportsRepository(db);
const service = new ExportsService(repository, config.exports);
const worker = new ExportWorker({ db, config, mailer: createMailer({ smtpUrl: null, dataDir }), logger: pino({ level: 'silent' }) });

let sampledPeak = 0;
const sampler = setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
}, 50);

const { id } = await service.request(partner, { query: {}, body: { email: 'bench@example.com', format, lang: 'en' }, idempotencyKey: undefined });
const started = process.hrtime.bigint();
await worker.runOnce();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
const row = await db.kysely.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
await worker.stop();
await db.close();
rmSync(`${dataDir}/outbox`, { recursive: true, force: true });
console.log(
  JSON.stringify({
    format,
    status: row.status,
    error: row.error,
    orders: Number(row.orders),
    tickets: Number(row.tickets),
    seconds: Number(seconds.toFixed(2)),
    ordersPerSecond: Math.round(Number(row.orders) / seconds),
    rowsPerSecond: Math.round((Number(row.orders) + Number(row.tickets)) / seconds),
    fileBytes: Number(row.file_size ?? 0),
    // ru_maxrss: the kernel's peak resident set of this process, in KiB
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    sampledPeakRssMB: Math.round(sampledPeak / 1024 / 1024),
  }),
);
