/**
 * The csv export: one file per table, UTF-8 with a BOM (so Excel opens
 * Cyrillic correctly), comma-separated, RFC 4180 quoting by csv-stringify:
 * a field with a comma, a double quote, CR or LF is quoted and its quotes are
 * doubled.
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
 * Rows are stringified in batches and written to the file stream, waiting for
 * 'drain' when it asks, so memory stays flat; between batches the event loop
 * gets a turn.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { stringify, type Options } from 'csv-stringify/sync';
import { formatMoney } from '../../shared/money.js';
import { looksLikeFormula, type CellKind, type CellValue, type Column } from './columns.js';
import { FileSink } from './streams.js';
import type { TimeZoneConverter } from './timezone.js';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
const BOM = '\uFEFF';
const BATCH = 512;

// quote_record_delimiter: with an explicit record_delimiter csv-stringify would
// otherwise quote only fields holding "\r\n", not a lone "\n" or "\r".
const CSV_OPTIONS: Options = {
  delimiter: ',',
  quote: '"',
  escape: '"',
  record_delimiter: '\r\n',
  quote_record_delimiter: true,
  eof: true,
};

export interface WriteCsvOptions<R> {
  path: string;
  headers: string[];
  columns: readonly Column<R>[];
  rows: AsyncIterable<R>;
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

/** Writes one csv file; returns the rows written (header excluded) and the file size. Removes the file on failure. */
export async function writeCsv<R>(options: WriteCsvOptions<R>): Promise<{ count: number; size: number }> {
  const { columns, tz } = options;
  const sink = new FileSink(options.path);
  try {
    await sink.write(BOM + stringify([options.headers], CSV_OPTIONS));
    let batch: string[][] = [];
    let count = 0;
    for await (const row of options.rows) {
      if (count % options.checkEvery === 0 && options.aborted()) throw new Error('export aborted');
      const record = new Array<string>(columns.length);
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i] as Column<R>;
        record[i] = csvField(column.kind, column.value(row), tz);
      }
      batch.push(record);
      count += 1;
      if (batch.length >= BATCH) {
        await sink.write(stringify(batch, CSV_OPTIONS));
        batch = [];
        await tick(); // let I/O, timers and requests of this process run
      }
    }
    if (options.aborted()) throw new Error('export aborted');
    if (batch.length) await sink.write(stringify(batch, CSV_OPTIONS));
    const size = await sink.close();
    return { count, size };
  } catch (err) {
    await sink.discard();
    throw err;
  }
}
