/**
 * The xlsx's tickets sheets, built in a thread of their own while the main
 * thread writes the orders sheets (PostgreSQL only).
 *
 * Why: writing sheet XML is JavaScript on one thread, ~80% of it busy, and a
 * 1M-order xlsx left most of the second core idle (1.30 of 2 busy). Here the
 * thread opens its own connection, imports the export's snapshot
 * (pg_export_snapshot / SET TRANSACTION SNAPSHOT: the very rows the orders
 * pass reads), reads the tickets through a cursor and writes each sheet as
 * deflated XML into a file of its own; the main thread joins those files to
 * the workbook after its orders sheets (files/pack.ts, files/xlsx.ts).
 * SQLite cannot share a snapshot between connections: there the tickets stay
 * a second pass on the export's own connection.
 *
 * The same file is the thread's script: run as a thread, it does the job in
 * its workerData. Under vitest this module is the TypeScript source, which a
 * thread cannot run; the thread then runs the build's copy (`npm test` builds
 * first).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../db/database.js';
import type { OrderFilters } from '../orders/filters.js';
import { TICKET_COLUMNS } from './files/columns.js';
import { DeflateFile, type DeflatedFile } from './files/pack.js';
import { TimeZoneConverter } from './files/timezone.js';
import { writeSheets } from './files/xlsx.js';
import { ExportRowMapper, mapped } from './mappers.js';
import { ExportReader } from './repository.js';

/** Where the thread reads the tickets: the export's database, its exported snapshot, partner and filters. */
export interface TicketsRead {
  url: string;
  snapshot: string;
  partnerId: string;
  filters: OrderFilters;
}

/** How the thread writes them: the sheet name and headers, the zone, Excel's row limit, a directory of its own. */
export interface TicketsSheet {
  name: string;
  headers: string[];
  tz: string;
  maxSheetRows: number;
  dir: string;
}

export interface TicketSheets {
  count: number;
  sheets: { name: string; file: DeflatedFile }[];
}

const KIND = 'kassa:tickets-sheets';

/**
 * The thread's heap. Left to V8's defaults (sized for this machine's memory)
 * the two heaps of an xlsx export grew to a peak RSS of 343–354 MB on 1M
 * orders, past the export's 300 MB budget; capped like this, 267–297 MB, no
 * slower within the run-to-run spread (docs/DECISIONS.md); the young
 * generation's size is what counts. What the thread holds at once is small
 * (a few thousand rows read ahead, one batch of XML): the cap makes V8
 * collect sooner, it does not starve the thread.
 */
const HEAP = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 };

interface Job {
  kind: typeof KIND;
  read: TicketsRead;
  sheet: TicketsSheet;
}

/** The compiled script of this module (see the header). */
function threadScript(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? here.replace(/\/src\/(?=[^/]+\/[^/]+$)/, '/dist/').replace(/\.ts$/, '.js') : here);
}

/** A running tickets thread, seen from the export's main thread. */
export class TicketsThread {
  private readonly worker: Worker;
  private readonly outcome: Promise<TicketSheets>;
  private done = false;
  private failure: Error | null = null;

  constructor(
    read: TicketsRead,
    private readonly sheet: TicketsSheet,
  ) {
    const job: Job = { kind: KIND, read, sheet };
    this.worker = new Worker(threadScript(), { workerData: job, resourceLimits: HEAP });
    this.outcome = new Promise<TicketSheets>((resolve, reject) => {
      this.worker.once('message', (sheets: TicketSheets) => {
        this.done = true;
        resolve(sheets);
      });
      this.worker.once('error', (err) => {
        this.failure = err;
        reject(err);
      });
      this.worker.once('exit', (code) => {
        if (!this.done && !this.failure) {
          this.failure = new Error(`the tickets thread exited with code ${code}`);
          reject(this.failure);
        }
      });
    });
    this.outcome.catch(() => undefined); // observed through sheets() or `error`
  }

  /** The thread's error once it has failed (the export can stop before it asks for the sheets). */
  get error(): Error | null {
    return this.failure;
  }

  /** The thread's sheets, once written. */
  sheets(): Promise<TicketSheets> {
    return this.outcome;
  }

  /** Stops the thread if it still runs and removes its files. Never throws. */
  async stop(): Promise<void> {
    await this.worker.terminate().catch(() => undefined);
    await rm(this.sheet.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The thread's work: the tickets in the exported snapshot, as deflated sheet files. */
async function run({ read, sheet }: Job): Promise<TicketSheets> {
  await mkdir(sheet.dir, { recursive: true });
  const db = openDb(read.url, { poolSize: 1 });
  try {
    return await new ExportReader(db).snapshot(async (snap) => {
      const files: { name: string; file: DeflateFile }[] = [];
      try {
        const count = await writeSheets(
          {
            name: sheet.name,
            columns: TICKET_COLUMNS,
            headers: sheet.headers,
            rows: () => mapped(snap.ticketRecords(read.partnerId, read.filters), ExportRowMapper.ticket),
          },
          { tz: new TimeZoneConverter(sheet.tz), maxSheetRows: sheet.maxSheetRows, aborted: () => false },
          (name) => {
            const file = new DeflateFile(join(sheet.dir, `sheet${files.length + 1}.xml.deflate`));
            files.push({ name, file });
            return file;
          },
        );
        return { count, sheets: files.map(({ name, file }) => ({ name, file: file.deflated })) };
      } catch (err) {
        await Promise.all(files.map(({ file }) => file.discard()));
        throw err;
      }
    }, read.snapshot);
  } finally {
    await db.close();
  }
}

if (!isMainThread && (workerData as Partial<Job> | null)?.kind === KIND) {
  const port = parentPort;
  if (!port) throw new Error('a tickets thread needs its parent port');
  // an error thrown here reaches the main thread as the worker's 'error' event
  port.postMessage(await run(workerData as Job));
}
