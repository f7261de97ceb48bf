/**
 * The csv export: one file per table, UTF-8 with a BOM (so Excel opens
 * Cyrillic correctly), comma-separated, RFC 4180 quoting: a field with a
 * comma, a double quote, CR or LF is quoted and its quotes are doubled.
 *
 * Line endings: CRLF between records, as RFC 4180 says (Excel, LibreOffice and
 * every csv parser read it). Line breaks inside a quoted field are kept as they
 * are in the data.
 *
 * Values: money "150.00", timestamps "YYYY-MM-DD HH:MM:SS" in the export's
 * zone, nulls empty. A text value starting with = + - @ tab or CR (or their
 * full-width forms) gets a leading single quote, as OWASP advises against CSV
 * injection: "=1+1" is written as "'=1+1". Only text columns are touched;
 * money such as "-5.00" stays as it is.
 *
 * The quoting is written here rather than by csv-stringify: it was 75% of the
 * csv writer's time on the 1M-order export (docs/DECISIONS.md); a property
 * test checks this writer against csv-stringify field for field.
 *
 * Rows are joined into batches and written to the file stream, waiting for
 * 'drain' when it asks, so memory stays flat; between batches the event loop
 * gets a turn.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { formatMoney } from '../../shared/money.js';
import { looksLikeFormula, type CellKind, type CellValue, type Column } from './columns.js';
import type { ZipEntry } from './pack.js';
import { FileSink } from './streams.js';
import type { TimeZoneConverter } from './timezone.js';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
const BOM = '\uFEFF';
const EOL = '\r\n';
const BATCH = 512;

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;

/** One field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote, CR or LF. */
export function csvQuote(field: string): string {
  return NEEDS_QUOTES.test(field) ? `"${field.replace(QUOTE, '""')}"` : field;
}

/** One record, CRLF-terminated. */
export function csvRecord(fields: readonly string[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) line += (i === 0 ? '' : ',') + csvQuote(fields[i] as string);
  return line + EOL;
}

export interface WriteCsvOptions<R> {
  path: string;
  headers: string[];
  columns: readonly Column<R>[];
  rows: AsyncIterable<R>;
  /** the same bytes also go into this zip entry (the download package), which is ended at the end */
  zipEntry?: ZipEntry;
  /** with a zip entry: the file is dropped once the export's csv files cross it (AttachmentBudget) */
  budget?: AttachmentBudget;
  tz: TimeZoneConverter;
  /** rows between calls of aborted() */
  checkEvery: number;
  aborted: () => boolean;
}

/** A text value as it goes into a csv field: prefixed with ' when a spreadsheet would take it for a formula. */
export function csvText(text: string): string {
  return looksLikeFormula(text) ? `'${text}` : text;
}

function csvField(kind: CellKind, value: CellValue, tz: TimeZoneConverter): string {
  if (value === null) return '';
  switch (kind) {
    case 'money':
      return formatMoney(value as number);
    case 'time':
      return tz.format(value as number);
    case 'int':
      return String(value);
    default:
      return typeof value === 'string' ? csvText(value) : String(value);
  }
}

/**
 * What the export's files may still take to go out as e-mail attachments
 * (the worker's limit; the xlsx is counted once it is written). Once the
 * csv files cross it they can only go out as the zip
 * behind a download link, which holds the same bytes, so they stop being
 * written and are removed: for 1M orders that is ~0.7 GB of file writes
 * and disk saved (docs/DECISIONS.md: a little faster, within the noise).
 */
export class AttachmentBudget {
  constructor(private left: number) {}

  /** Counts `bytes` more of the files; false once they are over, for good. */
  take(bytes: number): boolean {
    this.left -= bytes;
    return this.left >= 0;
  }

  get over(): boolean {
    return this.left < 0;
  }
}

/**
 * One csv file and its zip entry: the BOM and the header, then what `body`
 * writes; returns `body`'s record count and the file size, or null for the
 * size when the file was dropped for going over the budget (the zip entry
 * still holds every byte). Removes the file on failure.
 */
async function csvFile(
  path: string,
  headers: string[],
  zip: ZipEntry | undefined,
  budget: AttachmentBudget | undefined,
  body: (write: (chunk: Buffer) => Promise<void>) => Promise<number>,
): Promise<{ count: number; size: number | null }> {
  // without a zip entry the file is the only copy: it is kept whatever its size
  if (budget && !zip) throw new Error('csvFile: a budget needs a zip entry');
  let sink: FileSink | null = budget?.over ? null : new FileSink(path);
  const write = async (chunk: Buffer) => {
    if (sink && budget && !budget.take(chunk.length)) {
      await sink.discard();
      sink = null;
    }
    await sink?.write(chunk);
    await zip?.write(chunk);
  };
  try {
    await write(Buffer.from(BOM + csvRecord(headers)));
    const count = await body(write);
    await zip?.end();
    const size = sink ? await sink.close() : null;
    return { count, size };
  } catch (err) {
    await sink?.discard();
    throw err;
  }
}

/** Writes one csv file from rows; returns the rows written (header excluded) and the file size (null: dropped, see csvFile). Removes the file on failure. */
export async function writeCsv<R>(options: WriteCsvOptions<R>): Promise<{ count: number; size: number | null }> {
  const { columns, tz } = options;
  return csvFile(options.path, options.headers, options.zipEntry, options.budget, async (write) => {
    const fields = new Array<string>(columns.length);
    let batch = '';
    let inBatch = 0;
    let count = 0;
    for await (const row of options.rows) {
      if (count % options.checkEvery === 0 && options.aborted()) throw new Error('export aborted');
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i] as Column<R>;
        fields[i] = csvField(column.kind, column.value(row), tz);
      }
      batch += csvRecord(fields);
      count += 1;
      if (++inBatch >= BATCH) {
        // encoded once for both the file and the zip
        await write(Buffer.from(batch));
        batch = '';
        inBatch = 0;
        await tick(); // let I/O, timers and requests of this process run
      }
    }
    if (options.aborted()) throw new Error('export aborted');
    if (batch) await write(Buffer.from(batch));
    return count;
  });
}

const LF = 0x0a;
/** Bytes gathered from the database before one write to the file and the zip. */
const WRITE_SIZE = 256 * 1024;
const QUOTE_BYTE = 0x22;
const CRLF = Buffer.from(EOL);

/**
 * Csv text whose records end in LF (PostgreSQL's COPY … CSV) → records ending
 * in CRLF, as this writer's own. A line break inside a quoted field is data
 * and stays as it is, so the quotes are followed across chunks (a doubled
 * quote inside a field closes and reopens, which leaves the state right).
 * Counts the records it ends.
 */
export class CsvLineEnds {
  records = 0;
  private quoted = false;

  convert(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    let pos = 0;
    let quote = chunk.indexOf(QUOTE_BYTE);
    // the next LF at or after pos; chunk.length when there is none
    let lf = -1;
    for (;;) {
      if (this.quoted) {
        if (quote < 0) break; // the rest of the chunk is inside a field
        this.quoted = false;
        pos = quote + 1;
        quote = chunk.indexOf(QUOTE_BYTE, pos);
        continue;
      }
      if (lf < pos) {
        lf = chunk.indexOf(LF, pos);
        if (lf < 0) lf = chunk.length;
      }
      if (quote >= 0 && quote < lf) {
        this.quoted = true;
        pos = quote + 1;
        quote = chunk.indexOf(QUOTE_BYTE, pos);
        continue;
      }
      if (lf === chunk.length) break;
      parts.push(chunk.subarray(start, lf), CRLF);
      this.records += 1;
      start = pos = lf + 1;
    }
    if (parts.length === 0) return chunk;
    if (start < chunk.length) parts.push(chunk.subarray(start));
    return Buffer.concat(parts);
  }

  /** True when the text so far ends between records (not inside a quoted field). */
  get complete(): boolean {
    return !this.quoted;
  }
}

export interface WriteCsvRecordsOptions {
  path: string;
  headers: string[];
  /** the records, formatted as this writer formats rows but ending in LF (COPY … CSV of exports/csv-repository.ts) */
  records: AsyncIterable<Buffer>;
  zipEntry?: ZipEntry;
  budget?: AttachmentBudget;
  aborted: () => boolean;
}

/** Writes one csv file from records the database formatted; returns the records written and the file size (null: dropped, see csvFile). */
export async function writeCsvRecords(options: WriteCsvRecordsOptions): Promise<{ count: number; size: number | null }> {
  return csvFile(options.path, options.headers, options.zipEntry, options.budget, async (write) => {
    const ends = new CsvLineEnds();
    // COPY data arrives a socket read at a time (often a few KiB): gathered
    // into bigger writes, the file and deflate see far fewer calls
    let gathered: Buffer[] = [];
    let size = 0;
    const flush = async () => {
      const chunk = gathered.length === 1 ? (gathered[0] as Buffer) : Buffer.concat(gathered, size);
      gathered = [];
      size = 0;
      await write(chunk);
    };
    for await (const chunk of options.records) {
      if (options.aborted()) throw new Error('export aborted');
      const converted = ends.convert(chunk);
      gathered.push(converted);
      size += converted.length;
      if (size >= WRITE_SIZE) await flush();
    }
    if (options.aborted()) throw new Error('export aborted');
    if (!ends.complete) throw new Error('csv records ended inside a quoted field');
    if (size > 0) await flush();
    return ends.records;
  });
}
