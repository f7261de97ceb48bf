/**
 * The xlsx export: exceljs's streaming WorkbookWriter straight into a file,
 * without shared strings, so memory stays flat however many rows there are.
 *
 * Cells:
 * - text → a string cell (`t="str"` with the text as its value; never a
 *   formula: a value like "=1+1" is stored and read back as that string);
 * - numbers/counts → numeric cells, format `0` (no 1.2E+11 for long numbers);
 * - money → numeric cells holding minor/100, format `0.00`;
 * - timestamps → date cells, format `yyyy-mm-dd hh:mm:ss`, holding the
 *   wall-clock time in the export's zone (spreadsheet dates have no zone; the
 *   header names it).
 * XML cannot hold a bare CR: a CR or CRLF inside a text comes back as LF
 * (Excel's own line break in a cell). exceljs drops the C0 control characters
 * XML 1.0 forbids. A text longer than Excel's 32,767 characters per cell is cut
 * there (Excel would call the file corrupt); the csv keeps it whole.
 *
 * Order of work: the Orders sheet(s) are written and committed before the first
 * Tickets sheet is opened. exceljs zips sheets one after another, so rows of a
 * sheet that is not yet being zipped would pile up in memory.
 *
 * Back-pressure: exceljs ignores it. Each sheet's XML goes through a stream
 * that exceljs fills without looking at write()'s result, then through deflate,
 * the zip and the file. Every few hundred rows we wait while that sheet stream
 * holds more than ENTRY_BACKLOG bytes (internal field, checked defensively) or
 * while the file stream itself asks for 'drain', after giving the event loop a
 * turn.
 */
import { setImmediate as tick } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import type { Row, Style, Worksheet } from 'exceljs';
import type { CellKind, CellValue, Column } from './columns.js';
import { FileSink, waitDrain } from './streams.js';
import type { TimeZoneConverter } from './timezone.js';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const EXCEL_MAX_ROWS = 1_048_576;

/** Rows between checks of aborted() and of back-pressure. */
export const CHECK_EVERY = 256;
/** Bytes of sheet XML allowed to wait for the zip before the writer pauses. */
const ENTRY_BACKLOG = 4 * 1024 * 1024;

// Shared style objects: exceljs caches the style id per object (WeakMap), so
// one object per kind keeps styling to a lookup per cell.
const HEADER_STYLE: Partial<Style> = { font: { bold: true } };
const KIND_STYLES: Record<CellKind, Partial<Style>> = {
  text: {},
  int: { numFmt: '0' },
  money: { numFmt: '0.00' },
  time: { numFmt: 'yyyy-mm-dd hh:mm:ss' },
  seat: { numFmt: '0' },
};

export interface XlsxTable<R> {
  /** sheet name; continuation sheets are "<name> 2", "<name> 3", … */
  name: string;
  columns: readonly Column<R>[];
  headers: string[];
  rows: () => AsyncIterable<R>;
}

export interface WriteXlsxOptions {
  path: string;
  tz: TimeZoneConverter;
  maxSheetRows: number;
  aborted: () => boolean;
}

type CellInput = string | number | Date | undefined;

/** Excel refuses a workbook with a longer text in a cell. */
export const EXCEL_MAX_TEXT = 32_767;

function cellInput(kind: CellKind, value: CellValue, tz: TimeZoneConverter): CellInput {
  if (value === null) return undefined;
  switch (kind) {
    case 'money':
      return (value as number) / 100;
    case 'time':
      return tz.wallDate(value as number);
    default:
      return typeof value === 'string' && value.length > EXCEL_MAX_TEXT ? value.slice(0, EXCEL_MAX_TEXT) : value;
  }
}

/** The stream exceljs writes a sheet's XML into before the zip reads it (exceljs 4.4 internals). */
export function sheetBacklog(sheet: Worksheet): { length: number; stream: NodeJS.EventEmitter } | null {
  const pipes = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes;
  const entry = pipes?.[0] as
    | (NodeJS.EventEmitter & { writableLength?: number; _writableState?: { length?: number } })
    | undefined;
  if (!entry || typeof entry.on !== 'function') return null;
  const length = entry._writableState?.length ?? entry.writableLength;
  return typeof length === 'number' ? { length, stream: entry } : null;
}

class SheetSeries<R> {
  private sheet: Worksheet | null = null;
  private rowsInSheet = 0;
  private count = 0;

  constructor(
    private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter,
    private readonly table: XlsxTable<R>,
    private readonly options: WriteXlsxOptions,
    private readonly sink: FileSink,
  ) {}

  private open(): Worksheet {
    this.count += 1;
    const name = this.count === 1 ? this.table.name : `${this.table.name} ${this.count}`;
    const sheet = this.workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = this.table.columns.map((c) => ({ width: c.width }));
    const header = sheet.addRow(this.table.headers);
    header.eachCell((cell) => {
      cell.style = HEADER_STYLE;
    });
    header.commit();
    this.sheet = sheet;
    this.rowsInSheet = 1;
    return sheet;
  }

  private commitSheet(): void {
    this.sheet?.commit();
    this.sheet = null;
  }

  add(row: R): void {
    let sheet = this.sheet;
    if (sheet === null || this.rowsInSheet >= this.options.maxSheetRows) {
      this.commitSheet();
      sheet = this.open();
    }
    const { columns } = this.table;
    const values: CellInput[] = new Array<CellInput>(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as Column<R>;
      values[i] = cellInput(column.kind, column.value(row), this.options.tz);
    }
    const added: Row = sheet.addRow(values);
    for (let i = 0; i < columns.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      const kind = (columns[i] as Column<R>).kind;
      added.getCell(i + 1).style = KIND_STYLES[kind === 'seat' && typeof value === 'string' ? 'text' : kind];
    }
    added.commit();
    this.rowsInSheet += 1;
  }

  /** Waits while the current sheet's XML or the file is backed up. */
  async relieve(): Promise<void> {
    // A turn of the event loop: zlib deflates in the thread pool but is fed
    // from this thread, and timers (lease heartbeats) and requests of the
    // same process must not starve behind a fast in-memory row source.
    await tick();
    this.sink.check();
    if (this.sheet) {
      const backlog = sheetBacklog(this.sheet);
      if (backlog && backlog.length > ENTRY_BACKLOG) await this.sink.race(waitDrain(backlog.stream));
    }
    await this.sink.drain();
  }

  /** Commits the last sheet; with no rows at all, a sheet with only the header. */
  finish(): void {
    if (this.sheet === null && this.count === 0) this.open();
    this.commitSheet();
  }
}

/** Erases a table's row type so that tables of different rows go in one list. */
export function xlsxTable<R>(table: XlsxTable<R>): XlsxTable<unknown> {
  return table as unknown as XlsxTable<unknown>;
}

/**
 * Writes the tables one after another into one workbook (each table's rows are
 * asked for only after the previous table is written). Returns the rows written
 * per table and the file size. On failure or abort the file is removed.
 */
export async function writeXlsx(
  options: WriteXlsxOptions,
  tables: readonly XlsxTable<unknown>[],
): Promise<{ counts: number[]; size: number }> {
  const sink = new FileSink(options.path);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink.stream,
    useSharedStrings: false,
    useStyles: true,
  });
  const zip = (workbook as unknown as { zip?: NodeJS.EventEmitter & { abort?: () => void } }).zip;
  zip?.on('error', (err: unknown) => sink.fail(err));
  try {
    const counts: number[] = [];
    for (const table of tables) {
      const series = new SheetSeries(workbook, table, options, sink);
      let count = 0;
      for await (const row of table.rows()) {
        if (count % CHECK_EVERY === 0) {
          if (options.aborted()) throw new Error('export aborted');
          await series.relieve();
        }
        series.add(row);
        count += 1;
      }
      if (options.aborted()) throw new Error('export aborted');
      series.finish();
      counts.push(count);
    }
    await sink.race(workbook.commit());
    const size = await sink.close(false);
    return { counts, size };
  } catch (err) {
    zip?.abort?.();
    await sink.discard();
    throw err;
  }
}
