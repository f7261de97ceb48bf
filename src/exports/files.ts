/**
 * Export file writers (SPEC §4 "File contents"): the Orders and Tickets tables
 * as one xlsx workbook or as two csv files, and the download package.
 * Details of each format are in files/xlsx.ts and files/csv.ts.
 */
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fileStamp, ORDER_COLUMNS, SHEET_NAMES, TICKET_COLUMNS, orderHeaders, ticketHeaders, type Column } from './files/columns.js';
import { AttachmentBudget, CSV_CONTENT_TYPE, writeCsv, writeCsvRecords } from './files/csv.js';
import { ZIP_CONTENT_TYPE, ZipWriter } from './files/pack.js';
import { TimeZoneConverter } from './files/timezone.js';
import { CHECK_EVERY, EXCEL_MAX_ROWS, XLSX_CONTENT_TYPE, writeXlsx, xlsxTable } from './files/xlsx.js';
import { TicketsThread } from './tickets-thread.js';
import type { ExportFile, WriteFilesOptions, WriteRowsOptions, WrittenFiles } from './types.js';

export { orderHeaders, ticketHeaders } from './files/columns.js';

export { ZIP_CONTENT_TYPE } from './files/pack.js';
export { CSV_CONTENT_TYPE } from './files/csv.js';
export { XLSX_CONTENT_TYPE, EXCEL_MAX_ROWS } from './files/xlsx.js';

/**
 * Writes the export into `dir`: `orders-<stamp>.xlsx`, or `orders-<stamp>.csv`
 * and `tickets-<stamp>.csv` plus `orders-<stamp>.zip` holding both (stamp =
 * generatedAt in UTC, `20260115-103000`). `files` are the attachments,
 * `download` the one file a download link serves.
 * The tables come as rows, formatted here, or (csv only) as records the
 * database formatted (`records`, exports/csv-repository.ts).
 * Orders are read first; `tickets()` is called once they are all written.
 * When `aborted()` turns true the writer stops with Error('export aborted');
 * on any failure the files written so far are removed.
 */
export async function writeExportFiles(options: WriteFilesOptions): Promise<WrittenFiles> {
  const tz = new TimeZoneConverter(options.tz);
  const maxSheetRows = options.maxSheetRows ?? EXCEL_MAX_ROWS;
  if (!Number.isInteger(maxSheetRows) || maxSheetRows < 2 || maxSheetRows > EXCEL_MAX_ROWS) {
    throw new RangeError(`maxSheetRows must be an integer in 2..${EXCEL_MAX_ROWS}`);
  }
  const aborted = options.aborted ?? (() => false);
  const stamp = fileStamp(options.generatedAt);
  // the attachment limit, one rule for both formats: the files go as attachments while their total is at most it
  const budget = options.maxAttachmentBytes === undefined ? undefined : new AttachmentBudget(options.maxAttachmentBytes);
  await mkdir(options.dir, { recursive: true });

  if (options.format === 'xlsx') {
    const filename = `orders-${stamp}.xlsx`;
    const filePath = path.join(options.dir, filename);
    const names = SHEET_NAMES[options.lang];
    const orders = xlsxTable({ name: names.orders, columns: ORDER_COLUMNS, headers: orderHeaders(options.lang, options.tz), rows: () => options.orders });
    const sheet = { name: names.tickets, headers: ticketHeaders(options.lang, options.tz) };
    // the tickets: a second pass here, or (PostgreSQL) a thread writing them beside the orders
    const thread =
      'ticketsRead' in options
        ? new TicketsThread(options.ticketsRead, { ...sheet, tz: options.tz, maxSheetRows, dir: path.join(options.dir, `tickets-${stamp}`) })
        : null;
    const tickets = thread ?? xlsxTable({ ...sheet, columns: TICKET_COLUMNS, rows: () => (options as WriteRowsOptions).tickets() });
    try {
      // a failed thread stops the orders too
      const stop = thread ? () => aborted() || thread.error !== null : aborted;
      const { counts, size } = await writeXlsx({ path: filePath, tz, maxSheetRows, aborted: stop }, [orders, tickets]);
      const file = { path: filePath, filename, contentType: XLSX_CONTENT_TYPE, size };
      return {
        files: budget && !budget.take(size) ? null : [file],
        // an xlsx is a zip already: it is its own download
        download: file,
        orders: counts[0] ?? 0,
        tickets: counts[1] ?? 0,
      };
    } catch (err) {
      // when the thread failed, its error says why the orders stopped
      throw thread?.error ?? err;
    } finally {
      await thread?.stop();
    }
  }
  if ('ticketsRead' in options) throw new Error('only the xlsx writes its tickets in a thread');

  // The zip for a download link is written alongside the csv files (pack.ts);
  // the worker keeps it or the files, whichever the size calls for.
  const written: ExportFile[] = [];
  const zipName = `orders-${stamp}.zip`;
  const zip = new ZipWriter(path.join(options.dir, zipName));
  /** One table as `<name>-<stamp>.csv` and as the zip entry of that name, from rows or from the database's records; returns its rows. */
  const csvTable = async <R>(
    name: string,
    headers: string[],
    columns: readonly Column<R>[],
    source: { rows: () => AsyncIterable<R> } | { records: () => AsyncIterable<Buffer> },
  ): Promise<number> => {
    const filename = `${name}-${stamp}.csv`;
    const file = { path: path.join(options.dir, filename), headers, zipEntry: zip.entry(filename), budget, aborted };
    const { count, size } =
      'records' in source
        ? await writeCsvRecords({ ...file, records: source.records() })
        : await writeCsv({ ...file, columns, rows: source.rows(), tz, checkEvery: CHECK_EVERY });
    if (size !== null) written.push({ path: file.path, filename, contentType: CSV_CONTENT_TYPE, size });
    return count;
  };
  const sources =
    'records' in options
      ? { orders: { records: () => options.records.orders }, tickets: { records: options.records.tickets } }
      : { orders: { rows: () => options.orders }, tickets: { rows: options.tickets } };
  try {
    const orders = await csvTable('orders', orderHeaders(options.lang, options.tz), ORDER_COLUMNS, sources.orders);
    const tickets = await csvTable('tickets', ticketHeaders(options.lang, options.tz), TICKET_COLUMNS, sources.tickets);
    const zipSize = await zip.finish();
    // over the limit: the orders file, finished before the tickets crossed it, goes too
    if (budget?.over) await Promise.all(written.map((f) => unlink(f.path)));
    return {
      files: budget?.over ? null : written,
      download: { path: zip.path, filename: zipName, contentType: ZIP_CONTENT_TYPE, size: zipSize },
      orders,
      tickets,
    };
  } catch (err) {
    await zip.discard();
    await Promise.all(written.map((f) => unlink(f.path).catch(() => undefined)));
    throw err;
  }
}
