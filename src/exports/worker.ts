/**
 * The export worker: claims jobs from the database queue, writes the files
 * from one snapshot through a cursor, sends the e-mail, records the outcome.
 *
 * Delivery is at-least-once with a stable Message-ID: a worker that dies
 * after SMTP accepted the message but before `markSent` lets another worker
 * send it again. Everything before the send is safe to repeat; the lease is
 * checked right before sending to keep that window small.
 */
import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { newToken, hashToken } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { openDb } from '../db/database.js';
import type { ExportRow } from '../db/types.js';
import type { FilterEcho, OrderFilters } from '../orders/filters.js';
import type { Metrics } from '../metrics.js';
import { writeExportFiles } from './files.js';
import { classifyMailError, composeExportMail, describeMailError, type Mailer } from './mail.js';
import { ExportRowMapper, mapped } from './mappers.js';
import { CsvCopyReader } from './csv-repository.js';
import { ExportReader, ExportsRepository } from './repository.js';
import { EXPORTS_PATH } from './routes.js';
import type { ExportFile, ExportFormat, ExportLang } from './types.js';

class LeaseLost extends Error {
  constructor() {
    super('the lease on this job was lost');
  }
}
/** The e-mail could not be composed or sent; `kind` says whether trying again can help. */
class DeliveryError extends Error {
  constructor(
    readonly kind: 'transient' | 'permanent',
    description: string,
  ) {
    super(description);
  }
}
class ShuttingDown extends Error {
  constructor() {
    super('the worker is shutting down');
  }
}

export interface WorkerOptions {
  db: Db;
  config: Config;
  mailer: Mailer;
  logger: Logger;
  metrics?: Metrics;
  workerId?: string;
}

export class ExportWorker {
  readonly id: string;
  private readonly repo: ExportsRepository;
  private readonly reader: ExportReader;
  /** PostgreSQL: csv formatted by the database itself (csv-repository.ts) */
  private readonly csvReader: CsvCopyReader | null;
  private readonly readerDb: Db | null;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastCleanup = 0;

  constructor(private readonly options: WorkerOptions) {
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.repo = new ExportsRepository(options.db);
    // SQLite: a second, read-only connection, because an open iterate()
    // blocks every other statement on its connection (heartbeats, markSent).
    this.readerDb = options.db.dialect === 'sqlite' ? openDb(options.db.url, { readonly: true }) : null;
    this.reader = new ExportReader(this.readerDb ?? options.db);
    this.csvReader = options.db.dialect === 'postgres' ? new CsvCopyReader(options.db) : null;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Look for work now (an export was just queued in this process). */
  nudge(): void {
    this.wake?.();
  }

  /** Stops claiming; a job being generated is released for another worker, one being sent is finished. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.readerDb?.close();
  }

  private async run(): Promise<void> {
    const { logger, config } = this.options;
    logger.info({ worker: this.id }, 'export worker started');
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await this.runOnce();
        if (Date.now() - this.lastCleanup > 10 * 60_000) await this.cleanupExpiredFiles();
      } catch (err) {
        logger.error({ err }, 'export worker loop error');
      }
      if (!worked && !this.stopping) await this.sleep(config.exports.pollMs);
    }
    logger.info({ worker: this.id }, 'export worker stopped');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }

  /** Claims and processes one job; false when none was due. */
  async runOnce(): Promise<boolean> {
    const { leaseMs } = this.options.config.exports;
    const job = await this.repo.claim(this.id, Date.now(), leaseMs);
    if (!job) return false;
    await this.process(job);
    return true;
  }

  private async process(job: ExportRow): Promise<void> {
    const { config, logger, mailer, metrics } = this.options;
    const log = logger.child({ export: job.id, attempt: job.attempts, worker: this.id });
    const { leaseMs, retryBaseMs } = config.exports;
    if (job.attempts > job.max_attempts) {
      // Claimed again after its workers kept dying: stop trying.
      if ((await this.repo.markFailed(job.id, this.id, Date.now(), 'the export was interrupted too many times', true, retryBaseMs)) === 'failed') {
        await this.removeAttemptDirs(job.id, null);
      }
      metrics?.emails.inc({ result: 'failed' });
      return;
    }
    log.info('export started');

    let lost = false;
    const heartbeat = setInterval(() => {
      this.repo.heartbeat(job.id, this.id, Date.now() + leaseMs).then(
        (ok) => {
          if (!ok) lost = true;
        },
        (err: unknown) => log.warn({ err }, 'heartbeat failed'),
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));

    // One directory per attempt: a worker that lost its lease may still be writing its own.
    const dir = join(config.exports.dir, job.id, String(job.attempts));
    let keepDir = false;
    try {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const generatedAt = new Date();
      const filters = JSON.parse(job.query) as OrderFilters;
      const files = {
        lang: job.lang as ExportLang,
        tz: job.tz,
        dir,
        generatedAt,
        aborted: () => lost || this.stopping,
        maxAttachmentBytes: config.exports.maxAttachmentBytes,
      };
      // csv on PostgreSQL: the database formats it (COPY), unless the zone is one only Intl knows
      const written =
        job.format === 'csv' && this.csvReader && (await this.csvReader.knowsZone(job.tz))
          ? await this.csvReader.snapshot(job.partner_id, filters, job.tz, (records) => writeExportFiles({ ...files, format: 'csv', records }))
          : await this.reader.snapshot(async (snap) => {
              // xlsx on PostgreSQL: the tickets sheets in a thread of their own, from this
              // snapshot (exported before the orders' cursor takes the connection)
              const ticketsRead =
                job.format === 'xlsx' && this.options.db.dialect === 'postgres'
                  ? { url: this.options.db.url, snapshot: await snap.exportSnapshot(), partnerId: job.partner_id, filters }
                  : null;
              const orders = mapped(snap.orderRecords(job.partner_id, filters), ExportRowMapper.order);
              return ticketsRead
                ? writeExportFiles({ ...files, format: 'xlsx', orders, ticketsRead })
                : writeExportFiles({ ...files, format: job.format as ExportFormat, orders, tickets: () => mapped(snap.ticketRecords(job.partner_id, filters), ExportRowMapper.ticket) });
            });
      if (this.stopping) throw new ShuttingDown();
      if (lost) throw new LeaseLost();

      let attachments: ExportFile[] | null = written.files;
      let downloadUrl: string | null = null;
      let linkExpiresAt: Date | null = null;
      // the files as attachments, or (over the limit: the writer kept only it) the one download file
      const link = written.files === null;
      const packed = written.download;
      const size = written.files === null ? packed.size : written.files.reduce((sum, f) => sum + f.size, 0);
      // Keep what goes out: the attachments' download package is not needed.
      if (written.files !== null && !written.files.includes(packed)) await unlink(packed.path).catch(() => undefined);
      if (link) {
        const token = newToken();
        linkExpiresAt = new Date(Date.now() + config.exports.linkTtlMs);
        const recorded = await this.repo.setFile(job.id, this.id, {
          path: packed.path,
          name: packed.filename,
          type: packed.contentType,
          size: packed.size,
          tokenHash: hashToken(token),
          expiresAt: linkExpiresAt.getTime(),
        });
        if (!recorded) throw new LeaseLost();
        keepDir = true;
        attachments = null;
        downloadUrl = `${config.publicUrl}${EXPORTS_PATH}/${job.id}/file?token=${token}`;
      }

      const compose = () => composeExportMail({
        exportId: job.id,
        to: job.email,
        from: config.exportFrom,
        lang: job.lang as ExportLang,
        tz: job.tz,
        format: job.format as ExportFormat,
        filters: JSON.parse(job.filters) as FilterEcho,
        orders: written.orders,
        tickets: written.tickets,
        generatedAt,
        attachments,
        downloadUrl,
        linkExpiresAt,
      });
      // Last check before the one step that cannot be taken back.
      if (lost || !(await this.repo.heartbeat(job.id, this.id, Date.now() + leaseMs))) throw new LeaseLost();
      try {
        await mailer.send(compose());
      } catch (err) {
        throw new DeliveryError(classifyMailError(err), describeMailError(err));
      }
      metrics?.emails.inc({ result: 'sent' });
      if (!(await this.repo.markSent(job.id, this.id, Date.now(), { orders: written.orders, tickets: written.tickets }))) {
        log.warn('sent, but the lease was lost before it was recorded');
      } else {
        await this.removeAttemptDirs(job.id, keepDir ? job.attempts : null);
      }
      log.info({ orders: written.orders, tickets: written.tickets, bytes: size, link: downloadUrl !== null }, 'export sent');
    } catch (err) {
      if (err instanceof LeaseLost) {
        log.warn('lease lost; another worker owns this export now');
      } else if (err instanceof ShuttingDown || (this.stopping && !(err instanceof DeliveryError))) {
        await this.repo.release(job.id, this.id, Date.now());
        log.info('released on shutdown');
      } else {
        const permanent = err instanceof DeliveryError && err.kind === 'permanent';
        const reason =
          err instanceof DeliveryError ? `delivery failed: ${err.message}` : 'the file could not be generated (internal error; details are in the service log)';
        const outcome = await this.repo.markFailed(job.id, this.id, Date.now(), reason, permanent, retryBaseMs);
        if (outcome === 'failed') {
          metrics?.emails.inc({ result: 'failed' });
          await this.removeAttemptDirs(job.id, null);
        }
        log.warn({ err, outcome, permanent }, 'export attempt failed');
      }
    } finally {
      clearInterval(heartbeat);
      if (!keepDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Once this worker has finished the job: removes the directories of its
   * other attempts (a worker killed mid-export never ran its own cleanup, and
   * its partial file of customer data would stay on disk for good), and the
   * job's directory itself unless `keep` names the attempt whose download
   * file the e-mail links to.
   */
  private async removeAttemptDirs(jobId: string, keep: number | null): Promise<void> {
    const jobDir = join(this.options.config.exports.dir, jobId);
    const entries = keep === null ? ['.'] : (await readdir(jobDir).catch(() => [])).filter((e) => e !== String(keep));
    for (const e of entries) await rm(join(jobDir, e), { recursive: true, force: true }).catch(() => undefined);
  }

  /** Deletes download files past their expiry (links answer 410 after that). */
  /** Deletes download files past their expiry (the link answers 410 from then on); the loop runs it every 10 minutes. */
  async cleanupExpiredFiles(): Promise<number> {
    this.lastCleanup = Date.now();
    const expired = await this.repo.expiredFiles(Date.now());
    for (const f of expired) {
      // The whole export's folder: the file's attempt folder and its now empty parent.
      await rm(join(this.options.config.exports.dir, f.id), { recursive: true, force: true }).catch(() => undefined);
      await this.repo.clearFile(f.id);
    }
    return expired.length;
  }
}
