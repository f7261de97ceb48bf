/**
 * The xlsx export: a SpreadsheetML workbook (ECMA-376) whose sheet XML is
 * written here, row by row, as UTF-8 bytes (sheet-xml.ts) straight into a
 * streaming zip (pack.ts), so memory stays flat however many rows there are.
 * No shared strings: text is inline.
 *
 * Why not exceljs's WorkbookWriter (it was used first): building a cell model
 * per cell and rendering it through its XML stream cost ~80% of the export's
 * main thread; writing the few kinds of cell this export has directly is
 * several times faster (docs/DECISIONS.md, docs/BENCHMARKS.md). exceljs stays
 * in the tests as an independent reader of the files.
 *
 * Cells:
 * - text → an inline string (`t="inlineStr"`), never a formula: a value like
 *   "=1+1" is stored and read back as that string;
 * - numbers/counts → numeric cells, format `0` (no 1.2E+11 for long numbers);
 * - money → numeric cells holding minor/100, format `0.00`;
 * - timestamps → date cells (serial days since 1899-12-30), format
 *   `yyyy-mm-dd hh:mm:ss`, holding the wall-clock time in the export's zone
 *   (spreadsheet dates have no zone; the header names it).
 * XML cannot hold a bare CR: a CR or CRLF inside a text is read back as LF
 * (Excel's own line break in a cell). Characters XML 1.0 forbids (C0 controls
 * other than tab/LF/CR, U+FFFE/U+FFFF, lone surrogates) are dropped. A text
 * longer than Excel's 32,767 characters per cell is cut there (Excel would
 * call the file corrupt); the csv keeps it whole.
 *
 * A table can also come already written (DeflatedTable: on PostgreSQL the
 * export's tickets, written by exports/tickets-thread.ts with writeSheets()
 * into deflated files); its sheets are joined to the zip in the table's turn.
 *
 * Sheets past Excel's 1,048,576 rows continue in "<name> 2", "<name> 3", …
 * Back-pressure: rows are written to the zip entry in batches and the writer
 * waits whenever the zip (deflate in libuv's thread pool, then the file) is
 * behind.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { ascii } from '../../shared/bytes.js';
import type { CellKind, CellValue, Column } from './columns.js';
import { ZipWriter, type DeflatedFile, type ZipEntry } from './pack.js';
import { needsPreserve, SheetXml } from './sheet-xml.js';
import type { TimeZoneConverter } from './timezone.js';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const EXCEL_MAX_ROWS = 1_048_576;

/** Rows between checks of aborted() and writes to the zip. */
export const CHECK_EVERY = 256;

/** Excel refuses a workbook with a longer text in a cell. */
export const EXCEL_MAX_TEXT = 32_767;

export interface XlsxTable<R> {
  /** sheet name; continuation sheets are "<name> 2", "<name> 3", … */
  name: string;
  columns: readonly Column<R>[];
  headers: string[];
  rows: () => AsyncIterable<R>;
}

/** How a table's sheets are written. */
export interface SheetOptions {
  tz: TimeZoneConverter;
  maxSheetRows: number;
  aborted: () => boolean;
}

export interface WriteXlsxOptions extends SheetOptions {
  path: string;
}

/**
 * A table whose sheets were written elsewhere (a thread of their own: the
 * export's tickets, exports/tickets-thread.ts) as deflated sheet XML, each
 * sheet one file, named as writeSheets names them.
 */
export interface DeflatedTable {
  sheets: () => Promise<{ count: number; sheets: { name: string; file: DeflatedFile }[] }>;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

// Cell styles (indexes into cellXfs of STYLES_XML).
const STYLE = { header: 1, int: 2, money: 3, time: 4 } as const;
const STYLES_XML =
  XML_HEAD +
  `<styleSheet xmlns="${NS_MAIN}">` +
  '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="5">' +
  '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '</cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

// Characters XML 1.0 cannot hold (a lone surrogate cannot be encoded in UTF-8 either);
// matching control characters is the point of these two expressions.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const XML_SPECIAL = /[&<>"]/g;
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Text as XML character data (also fit for an attribute value). */
export function xmlText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  return text.replace(XML_FORBIDDEN, '').replace(XML_SPECIAL, (c) => ESCAPES[c] as string);
}

/** Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Days from the spreadsheet epoch (1899-12-30) to 1970-01-01. */
const EPOCH_DAYS = 25_569;

// The cells' constant parts as bytes; a cell is `<c r="` + letters + row + the rest.
const CELL = {
  inline: ascii('" t="inlineStr"><is><t'),
  header: ascii(`" s="${STYLE.header}" t="inlineStr"><is><t`),
  preserve: ascii(' xml:space="preserve">'),
  inlineEnd: ascii('</t></is></c>'),
  int: ascii(`" s="${STYLE.int}"><v>`),
  money: ascii(`" s="${STYLE.money}"><v>`),
  time: ascii(`" s="${STYLE.time}"><v>`),
  plain: ascii('"><v>'),
  valueEnd: ascii('</v></c>'),
  rowStart: ascii('<row r="'),
  rowEnd: ascii('</row>'),
  tagEnd: ascii('">'),
};
const TAG_CLOSE = 0x3e;

/** An inline string cell after its `<c r="A1`: `kind` is CELL.inline or CELL.header. */
function inlineCell(w: SheetXml, kind: Uint8Array, text: string): void {
  const end = Math.min(text.length, EXCEL_MAX_TEXT);
  w.raw(kind);
  if (needsPreserve(text, end)) w.raw(CELL.preserve);
  else w.byte(TAG_CLOSE);
  w.text(text, end);
  w.raw(CELL.inlineEnd);
}

/** One cell (nothing for a null: an absent cell); `open` is its `<c r="` + column letters. */
function cell(w: SheetXml, open: Uint8Array, row: number, kind: CellKind, value: CellValue, tz: TimeZoneConverter): void {
  if (value === null) return;
  w.raw(open);
  w.number(row);
  if (typeof value === 'string') return inlineCell(w, CELL.inline, value);
  switch (kind) {
    case 'money':
      w.raw(CELL.money);
      w.cents(value);
      break;
    case 'time':
      w.raw(CELL.time);
      w.number(tz.wallSeconds(value) / 86_400 + EPOCH_DAYS);
      break;
    case 'text':
      w.raw(CELL.plain);
      w.number(value);
      break;
    default:
      w.raw(CELL.int);
      w.number(value);
  }
  w.raw(CELL.valueEnd);
}

interface Sheet {
  name: string;
  part: string;
}

/** Where a table's sheets go: called with each sheet's name, returns the entry its XML is written to. */
export type SheetOpener = (name: string) => ZipEntry;

/** The sheets of one table: rows go into the current sheet, a full sheet is ended and the next begun. */
class SheetSeries<R> {
  private entry: ZipEntry | null = null;
  private rowsInSheet = 0;
  private count = 0;
  /** rows not yet handed to the zip */
  private readonly pending = new SheetXml(256 * 1024);
  /** each column's `<c r="` + letters */
  private readonly opens: Uint8Array[];
  private readonly sheetHead: string;

  constructor(
    private readonly table: XlsxTable<R>,
    private readonly options: SheetOptions,
    private readonly openSheet: SheetOpener,
  ) {
    this.opens = table.columns.map((_, i) => ascii(`<c r="${columnLetters(i)}`));
    const cols = table.columns.map((c, i) => `<col min="${i + 1}" max="${i + 1}" width="${c.width}" customWidth="1"/>`).join('');
    this.sheetHead =
      XML_HEAD +
      `<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">` +
      '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
      '<selection pane="bottomLeft"/></sheetView></sheetViews>' +
      `<sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData>`;
  }

  private async open(): Promise<void> {
    this.count += 1;
    this.entry = this.openSheet(sheetName(this.table.name, this.count));
    await this.entry.write(this.sheetHead);
    const w = this.pending;
    w.raw(CELL.rowStart);
    w.number(1);
    w.raw(CELL.tagEnd);
    this.table.headers.forEach((h, i) => {
      w.raw(this.opens[i]!);
      w.number(1);
      inlineCell(w, CELL.header, h);
    });
    w.raw(CELL.rowEnd);
    this.rowsInSheet = 1;
  }

  private async close(): Promise<void> {
    if (!this.entry) return;
    if (this.pending.length > 0) await this.entry.write(this.pending.take());
    await this.entry.write('</sheetData></worksheet>');
    await this.entry.end();
    this.entry = null;
  }

  /** Whether the next row needs a new sheet: none is open yet, or the current one is full. */
  needsSheet(): boolean {
    return this.entry === null || this.rowsInSheet >= this.options.maxSheetRows;
  }

  /** Ends the current sheet (if any) and begins the next. */
  async nextSheet(): Promise<void> {
    await this.close();
    await this.open();
  }

  /** Adds a row to the open sheet (see needsSheet); synchronous, it only writes XML into memory. */
  add(row: R): void {
    const r = this.rowsInSheet + 1;
    const { columns } = this.table;
    const w = this.pending;
    w.raw(CELL.rowStart);
    w.number(r);
    w.raw(CELL.tagEnd);
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      cell(w, this.opens[i]!, r, column.kind, column.value(row), this.options.tz);
    }
    w.raw(CELL.rowEnd);
    this.rowsInSheet = r;
  }

  /** Hands the rows so far to the zip, waiting while it is behind; gives the event loop a turn. */
  async flush(): Promise<void> {
    if (this.entry && this.pending.length > 0) await this.entry.write(this.pending.take());
    // timers (lease heartbeats) and requests of the same process must not
    // starve behind a fast in-memory row source
    await tick();
  }

  /** Ends the last sheet; with no rows at all, a sheet with only the header. */
  async finish(): Promise<void> {
    if (this.entry === null && this.count === 0) await this.open();
    await this.close();
  }
}

/** The name of a table's n-th sheet (from 1): Excel's row limit continues a table in "<name> 2", … */
function sheetName(table: string, n: number): string {
  return n === 1 ? table : `${table} ${n}`;
}

/**
 * Writes one table's rows as its sheets (one entry each, from `openSheet`),
 * checking `aborted()` every CHECK_EVERY rows. Returns the rows written.
 */
export async function writeSheets<R>(table: XlsxTable<R>, options: SheetOptions, openSheet: SheetOpener): Promise<number> {
  const series = new SheetSeries(table, options, openSheet);
  let count = 0;
  for await (const row of table.rows()) {
    if (count % CHECK_EVERY === 0) {
      if (options.aborted()) throw new Error('export aborted');
      await series.flush();
    }
    if (series.needsSheet()) await series.nextSheet();
    series.add(row);
    count += 1;
  }
  if (options.aborted()) throw new Error('export aborted');
  await series.finish();
  return count;
}

function workbookParts(sheets: readonly Sheet[]): [string, string][] {
  const workbook =
    XML_HEAD +
    `<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets>` +
    sheets.map((s, i) => `<sheet name="${xmlText(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
    '</sheets></workbook>';
  const rels =
    XML_HEAD +
    `<Relationships xmlns="${NS_PKG_REL}">` +
    sheets
      .map((s, i) => `<Relationship Id="rId${i + 1}" Type="${NS_REL}/worksheet" Target="${s.part.slice('xl/'.length)}"/>`)
      .join('') +
    `<Relationship Id="rId${sheets.length + 1}" Type="${NS_REL}/styles" Target="styles.xml"/></Relationships>`;
  const types =
    XML_HEAD +
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    sheets
      .map((s) => `<Override PartName="/${s.part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
      .join('') +
    '</Types>';
  const root =
    XML_HEAD +
    `<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  return [
    ['[Content_Types].xml', types],
    ['_rels/.rels', root],
    ['xl/workbook.xml', workbook],
    ['xl/_rels/workbook.xml.rels', rels],
    ['xl/styles.xml', STYLES_XML],
  ];
}

/** Waits for a table written elsewhere, giving up with Error('export aborted') as soon as aborted() turns true. */
async function unlessAborted<T>(promise: Promise<T>, aborted: () => boolean): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const abort = new Promise<never>((_resolve, reject) => {
    const check = () => {
      if (aborted()) reject(new Error('export aborted'));
    };
    check();
    timer = setInterval(check, 50);
  });
  try {
    return await Promise.race([promise, abort]);
  } finally {
    clearInterval(timer);
  }
}

/** Erases a table's row type so that tables of different rows go in one list. */
export function xlsxTable<R>(table: XlsxTable<R>): XlsxTable<unknown> {
  return table as unknown as XlsxTable<unknown>;
}

/**
 * Writes the tables one after another into one workbook (each table's rows are
 * asked for only after the previous table is written; a deflated table's
 * sheets are joined to the zip in its turn). Returns the rows written per
 * table and the file size. On failure or abort the file is removed.
 */
export async function writeXlsx(
  options: WriteXlsxOptions,
  tables: readonly (XlsxTable<unknown> | DeflatedTable)[],
): Promise<{ counts: number[]; size: number }> {
  const zip = new ZipWriter(options.path);
  try {
    const sheets: Sheet[] = [];
    const nextPart = (name: string) => {
      const part = `xl/worksheets/sheet${sheets.length + 1}.xml`;
      sheets.push({ name, part });
      return part;
    };
    const counts: number[] = [];
    for (const table of tables) {
      if ('sheets' in table) {
        const written = await unlessAborted(table.sheets(), options.aborted);
        for (const sheet of written.sheets) await zip.add(nextPart(sheet.name), sheet.file);
        counts.push(written.count);
      } else {
        counts.push(await writeSheets(table, options, (name) => zip.entry(nextPart(name))));
      }
    }
    for (const [name, xml] of workbookParts(sheets)) {
      const entry = zip.entry(name);
      await entry.write(xml);
      await entry.end();
    }
    const size = await zip.finish();
    return { counts, size };
  } catch (err) {
    await zip.discard();
    throw err;
  }
}
