import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzip } from '../../test/support/zip.js';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTimestamp } from '../shared/time.js';
import {
  CSV_CONTENT_TYPE,
  XLSX_CONTENT_TYPE,
  ZIP_CONTENT_TYPE,
  orderHeaders,
  ticketHeaders,
  writeExportFiles,
} from './files.js';
import type { ExportOrderRow, ExportTicketRow, WriteFilesOptions } from './types.js';

const at = (s: string) => parseTimestamp(s) as number;
const GENERATED = new Date(Date.UTC(2026, 0, 15, 10, 30, 0));

function order(n: number, over: Partial<ExportOrderRow> = {}): ExportOrderRow {
  return {
    number: 1000 + n,
    code: `code${String(n).padStart(4, '0')}`,
    id: `65a0000000000000000000${String(n % 100).padStart(2, '0')}`,
    status: 'done',
    created_at: at('2026-01-15 10:00:00'),
    done_at: at('2026-01-15 10:05:00'),
    expired_after: at('2026-01-15 10:15:00'),
    event_id: '65a00000000000000000e001',
    event_title: 'Concert',
    event_start: at('2026-02-01 16:00:00'),
    org_id: '65a00000000000000000a001',
    org_name: 'Org',
    vendor_id: null,
    vendor_name: null,
    origin: 'widget',
    customer_name: 'Ann',
    customer_email: 'ann@example.com',
    customer_phone: null,
    tickets_count: 1,
    price: 15000,
    discount: 0,
    nominal: 15000,
    extra: 0,
    full: 15000,
    promocodes: [],
    ...over,
  };
}

function ticket(n: number, over: Partial<ExportTicketRow> = {}): ExportTicketRow {
  return {
    order_number: 1000,
    order_id: '65a0000000000000000000aa',
    order_status: 'done',
    ticket_id: `65a00000000000000000t${String(n).padStart(3, '0')}`,
    ticket_number: 500 + n,
    serial: 'AA',
    barcode: `12345678${n}`,
    set_id: '65a00000000000000000s001',
    status: 'sold',
    seat_row: null,
    seat_number: null,
    sector: null,
    price: 15000,
    discount: 0,
    nominal: 15000,
    extra: 0,
    full: 15000,
    ...over,
  };
}

async function* iterate<T>(rows: Iterable<T>): AsyncGenerator<T> {
  for (const row of rows) yield row;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kassa-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(over: Partial<WriteFilesOptions> & { orderRows?: ExportOrderRow[]; ticketRows?: ExportTicketRow[] }): WriteFilesOptions {
  const { orderRows = [], ticketRows = [], ...rest } = over;
  return {
    format: 'xlsx',
    lang: 'en',
    tz: 'UTC',
    dir,
    generatedAt: GENERATED,
    orders: iterate(orderRows),
    tickets: () => iterate(ticketRows),
    ...rest,
  };
}

async function readXlsx(file: string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb;
}

/** Row values of a sheet, 0-based, nulls for empty cells. */
function sheetRows(ws: ExcelJS.Worksheet, columns: number): unknown[][] {
  const rows: unknown[][] = [];
  for (let r = 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const values: unknown[] = [];
    for (let c = 1; c <= columns; c++) values.push(row.getCell(c).value ?? null);
    rows.push(values);
  }
  return rows;
}

async function readCsv(file: string): Promise<{ raw: Buffer; text: string; records: string[][] }> {
  const raw = await readFile(file);
  const text = raw.toString('utf8');
  const records = parse(raw, { bom: true, relax_column_count: false }) as string[][];
  return { raw, text, records };
}

describe('orderHeaders / ticketHeaders', () => {
  it('are in English or Russian and name the zone in timestamp columns', () => {
    expect(orderHeaders('en', 'UTC')).toEqual([
      'Number', 'Code', 'ID', 'Status', 'Created at (UTC)', 'Done at (UTC)', 'Reserved until (UTC)', 'Event ID', 'Event title',
      'Event start (UTC)', 'Organizer ID', 'Organizer', 'Vendor ID', 'Vendor', 'Origin', 'Customer name', 'Customer email',
      'Customer phone', 'Tickets', 'Price', 'Discount', 'Nominal', 'Extra', 'Full', 'Promocodes',
    ]);
    expect(orderHeaders('ru', 'Europe/Moscow')).toEqual([
      'Номер', 'Код', 'ID', 'Статус', 'Создан (Europe/Moscow)', 'Выполнен (Europe/Moscow)', 'Бронь до (Europe/Moscow)', 'ID события',
      'Событие', 'Начало события (Europe/Moscow)', 'ID организатора', 'Организатор', 'ID агента', 'Агент', 'Источник',
      'Имя покупателя', 'Email покупателя', 'Телефон покупателя', 'Билетов', 'Цена', 'Скидка', 'Номинал', 'Сбор', 'Итого', 'Промокоды',
    ]);
    expect(ticketHeaders('en', 'UTC')).toEqual([
      'Order number', 'Order ID', 'Order status', 'Ticket ID', 'Ticket number', 'Serial', 'Barcode', 'Set ID', 'Ticket status',
      'Row', 'Seat', 'Sector', 'Price', 'Discount', 'Nominal', 'Extra', 'Full',
    ]);
    expect(ticketHeaders('ru', 'UTC')).toEqual([
      'Номер заказа', 'ID заказа', 'Статус заказа', 'ID билета', 'Номер билета', 'Серия', 'Штрихкод', 'ID категории', 'Статус билета',
      'Ряд', 'Место', 'Сектор', 'Цена', 'Скидка', 'Номинал', 'Сбор', 'Итого',
    ]);
  });
});

const TRICKY = 'Ёлка, «Щелкунчик» 🎄 "VIP"\nвторая строка';
const FORMULAS = ['=1+1', '+7 999 123-45-67', '-2+3', '@SUM(A1)', '\tHYPERLINK', '\r=cmd', '＝1+1'];

describe('writeExportFiles: xlsx', () => {
  it('writes both sheets with typed cells: numbers, money 0.00, dates in the zone, plain text', async () => {
    const orders = [
      order(1, {
        code: null,
        event_title: TRICKY,
        customer_name: 'Иван Петров',
        customer_email: 'a,b@example.com',
        customer_phone: '+7 999 123-45-67',
        vendor_id: '65a00000000000000000b001',
        vendor_name: 'Агент 🙂',
        created_at: at('2026-03-08 06:59:59'),
        done_at: null,
        expired_after: at('2026-03-08 07:00:00'),
        event_start: at('2026-11-01 06:00:00'),
        price: 4612,
        discount: 500,
        nominal: 4112,
        extra: 1,
        full: 4113,
        tickets_count: 2,
        promocodes: ['65a00000000000000000p001', '65a00000000000000000p002'],
      }),
    ];
    const tickets = [
      ticket(1, { seat_row: 5, seat_number: '12a', sector: 'Партер', barcode: null }),
      ticket(2, { price: 0, discount: 0, nominal: 0, extra: 0, full: 0 }),
    ];
    const result = await writeExportFiles(options({ tz: 'America/New_York', orderRows: orders, ticketRows: tickets }));
    expect(result.orders).toBe(1);
    expect(result.tickets).toBe(2);
    expect(result.files).toHaveLength(1);
    const file = result.files![0]!;
    expect(file.filename).toBe('orders-20260115-103000.xlsx');
    expect(file.path).toBe(path.join(dir, file.filename));
    expect(file.contentType).toBe(XLSX_CONTENT_TYPE);
    expect(file.size).toBe((await readFile(file.path)).length);

    const wb = await readXlsx(file.path);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Orders', 'Tickets']);
    const ws = wb.getWorksheet('Orders')!;
    const rows = sheetRows(ws, 25);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(orderHeaders('en', 'America/New_York'));
    expect(rows[1]).toEqual([
      1001, null, '65a000000000000000000001', 'done',
      new Date('2026-03-08T01:59:59Z'), null, new Date('2026-03-08T03:00:00Z'),
      '65a00000000000000000e001', TRICKY, new Date('2026-11-01T01:00:00Z'),
      '65a00000000000000000a001', 'Org', '65a00000000000000000b001', 'Агент 🙂', 'widget',
      'Иван Петров', 'a,b@example.com', '+7 999 123-45-67', 2,
      46.12, 5, 41.12, 0.01, 41.13, '65a00000000000000000p001, 65a00000000000000000p002',
    ]);
    const data = ws.getRow(2);
    expect(data.getCell(1).type).toBe(ExcelJS.ValueType.Number);
    expect(data.getCell(5).type).toBe(ExcelJS.ValueType.Date);
    expect(data.getCell(5).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    for (const c of [20, 21, 22, 23, 24]) {
      expect(data.getCell(c).type).toBe(ExcelJS.ValueType.Number);
      expect(data.getCell(c).numFmt).toBe('0.00');
    }
    expect(data.getCell(9).type).toBe(ExcelJS.ValueType.String);
    expect(data.getCell(18).type).toBe(ExcelJS.ValueType.String);
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);

    const tws = wb.getWorksheet('Tickets')!;
    const trows = sheetRows(tws, 17);
    expect(trows[0]).toEqual(ticketHeaders('en', 'America/New_York'));
    expect(trows.slice(1)).toEqual([
      [1000, '65a0000000000000000000aa', 'done', '65a00000000000000000t001', 501, 'AA', null, '65a00000000000000000s001', 'sold',
        5, '12a', 'Партер', 150, 0, 150, 0, 150],
      [1000, '65a0000000000000000000aa', 'done', '65a00000000000000000t002', 502, 'AA', '123456782', '65a00000000000000000s001', 'sold',
        null, null, null, 0, 0, 0, 0, 0],
    ]);
    expect(tws.getRow(2).getCell(13).numFmt).toBe('0.00');
    expect(tws.getRow(3).getCell(17).type).toBe(ExcelJS.ValueType.Number);
  });

  it('freezes the header row and sets the column widths', async () => {
    const result = await writeExportFiles(options({ orderRows: [order(1)], ticketRows: [ticket(1)] }));
    const wb = await readXlsx(result.files![0]!.path);
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    }
    const ws = wb.getWorksheet('Orders')!;
    expect(ws.getColumn(1).width).toBe(12);
    expect(ws.getColumn(9).width).toBe(30);
    // leading and trailing spaces of a text survive
    const spaced = await writeExportFiles(options({ orderRows: [order(1, { customer_name: '  two spaces  ' })] }));
    expect((await readXlsx(spaced.files![0]!.path)).getWorksheet('Orders')!.getRow(2).getCell(16).value).toBe('  two spaces  ');
  });

  it('writes Russian sheet names and headers, dates in Europe/Moscow', async () => {
    const result = await writeExportFiles(
      options({ lang: 'ru', tz: 'Europe/Moscow', orderRows: [order(1, { created_at: at('2026-01-15 10:30:00') })], ticketRows: [ticket(1)] }),
    );
    const wb = await readXlsx(result.files![0]!.path);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Заказы', 'Билеты']);
    const ws = wb.getWorksheet('Заказы')!;
    expect(sheetRows(ws, 25)[0]).toEqual(orderHeaders('ru', 'Europe/Moscow'));
    expect(ws.getRow(1).getCell(5).value).toBe('Создан (Europe/Moscow)');
    expect(ws.getRow(2).getCell(5).value).toEqual(new Date('2026-01-15T13:30:00Z'));
    expect(sheetRows(wb.getWorksheet('Билеты')!, 17)[0]).toEqual(ticketHeaders('ru', 'Europe/Moscow'));
  });

  it('stores formula-looking text as plain strings, never formulas', async () => {
    const orders = FORMULAS.map((f, i) => order(i, { customer_name: f, event_title: f, code: f }));
    const tickets = FORMULAS.map((f, i) => ticket(i, { serial: f, barcode: f, sector: f }));
    const result = await writeExportFiles(options({ orderRows: orders, ticketRows: tickets }));
    const file = result.files![0]!.path;
    const wb = await readXlsx(file);
    const expected = FORMULAS.map((f) => f.replace('\r', '\n')); // XML turns a bare CR into LF
    const ws = wb.getWorksheet('Orders')!;
    const tws = wb.getWorksheet('Tickets')!;
    expected.forEach((f, i) => {
      for (const cell of [ws.getRow(i + 2).getCell(2), ws.getRow(i + 2).getCell(9), ws.getRow(i + 2).getCell(16)]) {
        expect(cell.type).toBe(ExcelJS.ValueType.String);
        expect(cell.value).toBe(f);
        expect(cell.formula).toBeUndefined();
      }
      for (const c of [6, 7, 12]) {
        expect(tws.getRow(i + 2).getCell(c).type).toBe(ExcelJS.ValueType.String);
        expect(tws.getRow(i + 2).getCell(c).value).toBe(f);
      }
    });
    // and in the XML itself: no <f> element anywhere
    const parts = unzip(await readFile(file));
    const sheets = [...parts.keys()].filter((k) => k.startsWith('xl/worksheets/sheet'));
    expect(sheets).toHaveLength(2);
    for (const name of sheets) expect(parts.get(name)!.toString('utf8')).not.toMatch(/<f[ >]/);
    expect(parts.has('xl/sharedStrings.xml')).toBe(false);
  });

  it('cuts a text at Excel\'s 32,767 characters per cell (the csv keeps it whole)', async () => {
    const long = 'я'.repeat(40_000);
    const xlsx = await writeExportFiles(options({ orderRows: [order(1, { customer_name: long })] }));
    const wb = await readXlsx(xlsx.files![0]!.path);
    expect(wb.getWorksheet('Orders')!.getRow(2).getCell(16).value).toBe(long.slice(0, 32_767));
    const csv = await writeExportFiles(options({ format: 'csv', orderRows: [order(1, { customer_name: long })] }));
    expect((await readCsv(csv.files![0]!.path)).records[1]![15]).toBe(long);
  });

  it('writes header-only sheets for empty input', async () => {
    const result = await writeExportFiles(options({ lang: 'ru' }));
    expect(result).toMatchObject({ orders: 0, tickets: 0 });
    const wb = await readXlsx(result.files![0]!.path);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Заказы', 'Билеты']);
    expect(sheetRows(wb.getWorksheet('Заказы')!, 25)).toEqual([orderHeaders('ru', 'UTC')]);
    expect(sheetRows(wb.getWorksheet('Билеты')!, 17)).toEqual([ticketHeaders('ru', 'UTC')]);
  });

  it('continues a full sheet on "<name> 2", "<name> 3", each with the header', async () => {
    const orders = [1, 2, 3, 4].map((n) => order(n));
    const tickets = [1, 2, 3, 4, 5, 6, 7].map((n) => ticket(n));
    const result = await writeExportFiles(options({ maxSheetRows: 4, orderRows: orders, ticketRows: tickets }));
    expect(result).toMatchObject({ orders: 4, tickets: 7 });
    const wb = await readXlsx(result.files![0]!.path);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Orders', 'Orders 2', 'Tickets', 'Tickets 2', 'Tickets 3']);
    const numbers = (name: string, cols: number, col: number) =>
      sheetRows(wb.getWorksheet(name)!, cols).map((r) => r[col]);
    expect(numbers('Orders', 25, 0)).toEqual(['Number', 1001, 1002, 1003]);
    expect(numbers('Orders 2', 25, 0)).toEqual(['Number', 1004]);
    expect(numbers('Tickets', 17, 4)).toEqual(['Ticket number', 501, 502, 503]);
    expect(numbers('Tickets 2', 17, 4)).toEqual(['Ticket number', 504, 505, 506]);
    expect(numbers('Tickets 3', 17, 4)).toEqual(['Ticket number', 507]);

    const ru = await writeExportFiles(options({ lang: 'ru', maxSheetRows: 2, orderRows: [order(1)], ticketRows: [ticket(1), ticket(2)] }));
    const ruWb = await readXlsx(ru.files![0]!.path);
    expect(ruWb.worksheets.map((w) => w.name)).toEqual(['Заказы', 'Билеты', 'Билеты 2']);
  });

  it('asks for tickets only after the orders are written', async () => {
    const events: string[] = [];
    async function* orders() {
      yield order(1);
      events.push('orders done');
    }
    const result = await writeExportFiles(
      options({
        orders: orders(),
        tickets: () => {
          events.push('tickets asked');
          return iterate([ticket(1)]);
        },
      }),
    );
    expect(events).toEqual(['orders done', 'tickets asked']);
    expect(result).toMatchObject({ orders: 1, tickets: 1 });
  });
});

describe('writeExportFiles: csv', () => {
  it('writes two UTF-8 files with BOM, CRLF, RFC 4180 quoting, money and times as text', async () => {
    const orders = [
      order(1, {
        event_title: TRICKY,
        customer_name: 'Иван "Ваня" Петров',
        customer_email: 'a,b@example.com',
        customer_phone: '8 999 123-45-67',
        created_at: at('2026-03-08 06:59:59'),
        done_at: null,
        expired_after: at('2026-03-08 07:00:00'),
        event_start: at('2026-11-01 06:00:00'),
        price: 4612,
        discount: -500,
        nominal: 5112,
        extra: 5,
        full: 5117,
        promocodes: ['p1', 'p2'],
      }),
      order(2, { customer_name: 'cr\rin middle', customer_email: null, event_title: 'lf\nonly' }),
    ];
    const tickets = [ticket(1, { seat_row: 5, seat_number: '12a', sector: 'Партер' })];
    const result = await writeExportFiles(options({ format: 'csv', tz: 'America/New_York', orderRows: orders, ticketRows: tickets }));
    expect(result.orders).toBe(2);
    expect(result.tickets).toBe(1);
    expect(result.files!.map((f) => f.filename)).toEqual(['orders-20260115-103000.csv', 'tickets-20260115-103000.csv']);
    for (const f of result.files!) {
      expect(f.contentType).toBe(CSV_CONTENT_TYPE);
      expect(f.size).toBe((await readFile(f.path)).length);
    }

    const o = await readCsv(result.files![0]!.path);
    expect([...o.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(o.text.endsWith('\r\n')).toBe(true);
    expect(o.text.split('\r\n')[0]).toBe('\uFEFF' + orderHeaders('en', 'America/New_York').join(','));
    expect(o.records).toEqual([
      orderHeaders('en', 'America/New_York'),
      [
        '1001', 'code0001', '65a000000000000000000001', 'done', '2026-03-08 01:59:59', '', '2026-03-08 03:00:00',
        '65a00000000000000000e001', TRICKY, '2026-11-01 01:00:00', '65a00000000000000000a001', 'Org', '', '', 'widget',
        'Иван "Ваня" Петров', 'a,b@example.com', '8 999 123-45-67', '1', '46.12', '-5.00', '51.12', '0.05', '51.17', 'p1, p2',
      ],
      [
        '1002', 'code0002', '65a000000000000000000002', 'done', '2026-01-15 05:00:00', '2026-01-15 05:05:00', '2026-01-15 05:15:00',
        '65a00000000000000000e001', 'lf\nonly', '2026-02-01 11:00:00', '65a00000000000000000a001', 'Org', '', '', 'widget',
        'cr\rin middle', '', '', '1', '150.00', '0.00', '150.00', '0.00', '150.00', '',
      ],
    ]);
    // the quoting itself
    expect(o.text).toContain(',"Ёлка, «Щелкунчик» 🎄 ""VIP""\nвторая строка",');
    expect(o.text).toContain(',"Иван ""Ваня"" Петров","a,b@example.com",');
    expect(o.text).toContain(',"lf\nonly",');
    expect(o.text).toContain(',"cr\rin middle",');

    const t = await readCsv(result.files![1]!.path);
    expect([...t.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(t.records).toEqual([
      ticketHeaders('en', 'America/New_York'),
      ['1000', '65a0000000000000000000aa', 'done', '65a00000000000000000t001', '501', 'AA', '123456781', '65a00000000000000000s001', 'sold',
        '5', '12a', 'Партер', '150.00', '0.00', '150.00', '0.00', '150.00'],
    ]);
  });

  it('prefixes formula-looking text with a single quote, but not money', async () => {
    const orders = FORMULAS.map((f, i) => order(i, { customer_name: f, event_title: f, discount: -100 }));
    const tickets = FORMULAS.map((f, i) => ticket(i, { serial: f, sector: f, seat_row: f }));
    const result = await writeExportFiles(options({ format: 'csv', orderRows: orders, ticketRows: tickets }));
    const o = await readCsv(result.files![0]!.path);
    const t = await readCsv(result.files![1]!.path);
    FORMULAS.forEach((f, i) => {
      expect(o.records[i + 1]![8]).toBe(`'${f}`);
      expect(o.records[i + 1]![15]).toBe(`'${f}`);
      expect(o.records[i + 1]![20]).toBe('-1.00');
      expect(t.records[i + 1]![5]).toBe(`'${f}`);
      expect(t.records[i + 1]![9]).toBe(`'${f}`);
      expect(t.records[i + 1]![11]).toBe(`'${f}`);
    });
    // harmless text is left alone
    expect(o.records[1]![1]).toBe('code0000');
  });

  it('writes Russian headers with the zone and converts to Europe/Moscow', async () => {
    const result = await writeExportFiles(
      options({ format: 'csv', lang: 'ru', tz: 'Europe/Moscow', orderRows: [order(1, { created_at: at('2026-01-15 10:30:00') })] }),
    );
    const o = await readCsv(result.files![0]!.path);
    expect(o.records[0]).toEqual(orderHeaders('ru', 'Europe/Moscow'));
    expect(o.records[0]![4]).toBe('Создан (Europe/Moscow)');
    expect(o.records[1]![4]).toBe('2026-01-15 13:30:00');
  });

  it('writes header-only files for empty input', async () => {
    const result = await writeExportFiles(options({ format: 'csv' }));
    expect(result).toMatchObject({ orders: 0, tickets: 0 });
    const o = await readFile(result.files![0]!.path, 'utf8');
    const t = await readFile(result.files![1]!.path, 'utf8');
    expect(o).toBe('\uFEFF' + orderHeaders('en', 'UTC').join(',') + '\r\n');
    expect(t).toBe('\uFEFF' + ticketHeaders('en', 'UTC').join(',') + '\r\n');
  });
});

describe('writeExportFiles: abort and errors', () => {
  for (const format of ['xlsx', 'csv'] as const) {
    it(`${format}: stops when aborted() turns true, closes the source and leaves no files`, async () => {
      let produced = 0;
      let closed = false;
      async function* many() {
        try {
          for (let i = 0; i < 5000; i++) {
            produced += 1;
            yield order(i);
          }
        } finally {
          closed = true;
        }
      }
      let calls = 0;
      const promise = writeExportFiles(options({ format, orders: many(), aborted: () => ++calls > 2 }));
      await expect(promise).rejects.toThrow('export aborted');
      expect(produced).toBeLessThan(5000);
      expect(closed).toBe(true);
      expect(await readdir(dir)).toEqual([]);
    });

    it(`${format}: aborted before the tickets removes the finished orders file too`, async () => {
      let phase = 'orders';
      const promise = writeExportFiles(
        options({
          format,
          orderRows: [order(1)],
          tickets: () => {
            phase = 'tickets';
            return iterate([ticket(1)]);
          },
          aborted: () => phase === 'tickets',
        }),
      );
      await expect(promise).rejects.toThrow('export aborted');
      expect(await readdir(dir)).toEqual([]);
    });
  }

  it('passes on an error of the row source and cleans up', async () => {
    async function* broken() {
      yield order(1);
      throw new Error('cursor lost');
    }
    await expect(writeExportFiles(options({ orders: broken() }))).rejects.toThrow('cursor lost');
    await expect(writeExportFiles(options({ format: 'csv', orders: broken() }))).rejects.toThrow('cursor lost');
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects an unknown time zone and a silly maxSheetRows', async () => {
    await expect(writeExportFiles(options({ tz: 'Nowhere/Land' }))).rejects.toThrow(RangeError);
    await expect(writeExportFiles(options({ maxSheetRows: 1 }))).rejects.toThrow(RangeError);
  });

  it('creates the directory when missing', async () => {
    const nested = path.join(dir, 'a', 'b');
    const result = await writeExportFiles(options({ dir: nested, orderRows: [order(1)] }));
    expect(path.dirname(result.files![0]!.path)).toBe(nested);
  });
});

describe('download file', () => {
  it('is the xlsx itself', async () => {
    const result = await writeExportFiles(options({ orderRows: [order(1)] }));
    expect(result.download).toEqual(result.files![0]);
  });

  it('is a zip of the two csv files, written alongside them', async () => {
    const result = await writeExportFiles(
      options({ format: 'csv', orderRows: [order(1, { customer_name: TRICKY })], ticketRows: [ticket(1)] }),
    );
    const packed = result.download;
    expect(packed.filename).toBe('orders-20260115-103000.zip');
    expect(packed.path).toBe(path.join(dir, 'orders-20260115-103000.zip'));
    expect(packed.contentType).toBe(ZIP_CONTENT_TYPE);
    const raw = await readFile(packed.path);
    expect(packed.size).toBe(raw.length);
    const entries = unzip(raw);
    expect([...entries.keys()]).toEqual(['orders-20260115-103000.csv', 'tickets-20260115-103000.csv']);
    for (const f of result.files!) expect(entries.get(f.filename)!.equals(await readFile(f.path))).toBe(true);
  });

  it('holds every byte of big csv files (the zip keeps pace through back-pressure)', async () => {
    const orders = Array.from({ length: 3000 }, (_, i) => order(i, { customer_name: `${TRICKY} ${i}`.repeat(5) }));
    const result = await writeExportFiles(options({ format: 'csv', orderRows: orders, ticketRows: orders.map((_, i) => ticket(i)) }));
    const entries = unzip(await readFile(result.download.path));
    for (const f of result.files!) expect(entries.get(f.filename)!.equals(await readFile(f.path))).toBe(true);
    expect(result.files![0]!.size).toBeGreaterThan(1_000_000);
  });

  describe('over the attachment limit', () => {
    const orders = Array.from({ length: 300 }, (_, i) => order(i, { customer_name: `${TRICKY} ${i}` }));
    const rows = { format: 'csv' as const, orderRows: orders, ticketRows: orders.map((_, i) => ticket(i)) };
    /** the files and the zip's entries as written with no limit, in a directory of their own */
    const unlimited = async () => {
      const result = await writeExportFiles(options({ ...rows, dir: path.join(dir, 'unlimited') }));
      const sizes = result.files!.map((f) => f.size);
      return { sizes, total: sizes[0]! + sizes[1]!, entries: unzip(await readFile(result.download.path)) };
    };
    const names = ['orders-20260115-103000.csv', 'tickets-20260115-103000.csv'];

    it('keeps the csv files when they take exactly the limit', async () => {
      const { total, sizes } = await unlimited();
      const result = await writeExportFiles(options({ ...rows, maxAttachmentBytes: total }));
      expect(result.files!.map((f) => f.size)).toEqual(sizes);
      expect((await readdir(dir)).sort()).toEqual([...names, 'orders-20260115-103000.zip', 'unlimited'].sort());
    });

    it('drops both csv files when the tickets cross it, and the zip holds every byte', async () => {
      const { total, sizes, entries } = await unlimited();
      expect(sizes[1]).toBeGreaterThan(1);
      // the orders file is complete and within the limit; the tickets take it one byte over
      const result = await writeExportFiles(options({ ...rows, maxAttachmentBytes: total - 1 }));
      expect(result.files).toBeNull();
      expect((await readdir(dir)).sort()).toEqual(['orders-20260115-103000.zip', 'unlimited']);
      const packed = unzip(await readFile(result.download.path));
      for (const name of names) expect(packed.get(name)!.equals(entries.get(name)!)).toBe(true);
      expect(result.download.size).toBe((await readFile(result.download.path)).length);
      expect([result.orders, result.tickets]).toEqual([300, 300]);
    });

    it('stops writing the orders file as it crosses the limit, and never writes the tickets file', async () => {
      const { sizes, entries } = await unlimited();
      let seen: string[] = [];
      const tickets = async function* () {
        // the orders are all written now: their file was dropped back when it crossed the limit
        seen = (await readdir(dir)).sort();
        yield* rows.ticketRows;
      };
      const result = await writeExportFiles(options({ ...rows, tickets, maxAttachmentBytes: Math.floor(sizes[0]! / 2) }));
      expect(seen).toEqual(['orders-20260115-103000.zip', 'unlimited']);
      expect(result.files).toBeNull();
      expect((await readdir(dir)).sort()).toEqual(['orders-20260115-103000.zip', 'unlimited']);
      const packed = unzip(await readFile(result.download.path));
      for (const name of names) expect(packed.get(name)!.equals(entries.get(name)!)).toBe(true);
    });

    it('leaves the xlsx as the download, with no attachments', async () => {
      const small = await writeExportFiles(options({ orderRows: [order(1)], dir: path.join(dir, 'unlimited') }));
      const size = small.files![0]!.size;
      expect((await writeExportFiles(options({ orderRows: [order(1)], maxAttachmentBytes: size }))).files).toHaveLength(1);
      const over = await writeExportFiles(options({ orderRows: [order(1)], maxAttachmentBytes: size - 1 }));
      expect(over.files).toBeNull();
      expect((await readFile(over.download.path)).length).toBe(size);
    });
  });

  it('is removed with the csv files when the export fails', async () => {
    async function* broken(): AsyncGenerator<ExportOrderRow> {
      yield order(1);
      throw new Error('cursor lost');
    }
    const sub = path.join(dir, 'failing');
    await expect(writeExportFiles(options({ format: 'csv', dir: sub, orders: broken() }))).rejects.toThrow('cursor lost');
    expect(await readdir(sub)).toEqual([]);
  });
});
