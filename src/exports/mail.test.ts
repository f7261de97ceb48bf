import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { smtpError, startSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  classifyMailError,
  composeExportMail,
  createMailer,
  describeMailError,
  exportMessageId,
  type Mailer,
} from './mail.js';
import { countPhrase, formatCount, formatZoned, mailSubject } from './mail-text.js';
import type { ExportFile, ExportMailInput } from './types.js';

const NBSP = '\u00a0';
const FROM = 'Kassa <kassa@Kassa.Example.COM>';
const EXPORT_ID = '5f1f0a2b3c4d5e6f7a8b9c0d';

// ---------------------------------------------------------------------------
// Test SMTP server (real smtp-server in-process, no TLS)


async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function sendFails(mailer: Mailer, message: ReturnType<typeof composeExportMail>): Promise<unknown> {
  try {
    await mailer.send(message);
  } catch (err) {
    return err;
  }
  throw new Error('expected the send to fail');
}

// ---------------------------------------------------------------------------
// Fixtures

let dir: string;
let xlsx: ExportFile;
let ordersCsv: ExportFile;
let ticketsCsv: ExportFile;
const xlsxBytes = randomBytes(50_000);
const ordersCsvBytes = Buffer.from('\ufeffnumber,code,id\r\n1,"A,1",abc\r\n', 'utf8');
const ticketsCsvBytes = Buffer.from('\ufefforder_number,ticket_id\r\n', 'utf8');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kassa-mail-'));
  const file = async (name: string, bytes: Buffer, contentType: string): Promise<ExportFile> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return { path, filename: name, contentType, size: bytes.length };
  };
  xlsx = await file('orders-2020-07-28.xlsx', xlsxBytes, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  ordersCsv = await file('orders-2020-07-28.csv', ordersCsvBytes, 'text/csv; charset=utf-8');
  ticketsCsv = await file('tickets-2020-07-28.csv', ticketsCsvBytes, 'text/csv; charset=utf-8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function input(overrides: Partial<ExportMailInput> = {}): ExportMailInput {
  return {
    exportId: EXPORT_ID,
    to: 'Partner <partner@example.org>',
    from: FROM,
    lang: 'ru',
    tz: 'Europe/Moscow',
    format: 'xlsx',
    filters: {
      created_at: '2020-07-01,2020-07-31',
      status: ['done', 'cancelled'],
      events: ['5f0000000000000000000001', '5f0000000000000000000002'],
      only_with_customer: true,
    },
    orders: 1234,
    tickets: 2345,
    generatedAt: new Date('2020-07-28T10:00:00Z'),
    attachments: [xlsx],
    downloadUrl: null,
    linkExpiresAt: null,
    ...overrides,
  };
}

const mailers: Mailer[] = [];
const servers: TestSmtp[] = [];

function mailer(options: Parameters<typeof createMailer>[0]): Mailer {
  const m = createMailer(options);
  mailers.push(m);
  return m;
}

async function smtp(rcpt?: (address: string) => Error | null): Promise<TestSmtp> {
  const s = await startSmtp();
  s.onRcpt = rcpt ?? null;
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const m of mailers.splice(0)) m.close();
  for (const s of servers.splice(0)) await s.close();
});

async function sendAndParse(mail: ExportMailInput): Promise<ParsedMail> {
  const server = await smtp();
  await mailer({ smtpUrl: `smtp://127.0.0.1:${server.port}`, dataDir: dir }).send(composeExportMail(mail));
  expect(server.messages).toHaveLength(1);
  return simpleParser(server.messages[0] as Buffer);
}

// ---------------------------------------------------------------------------

describe('texts', () => {
  it('uses the Russian plural forms', () => {
    const cases: [number, string][] = [
      [0, '0 заказов'],
      [1, '1 заказ'],
      [2, '2 заказа'],
      [4, '4 заказа'],
      [5, '5 заказов'],
      [11, '11 заказов'],
      [12, '12 заказов'],
      [14, '14 заказов'],
      [21, '21 заказ'],
      [22, '22 заказа'],
      [101, '101 заказ'],
      [111, '111 заказов'],
      [1234, `1${NBSP}234 заказа`],
    ];
    for (const [n, phrase] of cases) expect(countPhrase(n, 'order', 'ru')).toBe(phrase);
    expect(countPhrase(1, 'ticket', 'ru')).toBe('1 билет');
    expect(countPhrase(3, 'ticket', 'ru')).toBe('3 билета');
    expect(countPhrase(2345, 'ticket', 'ru')).toBe(`2${NBSP}345 билетов`);
    expect(countPhrase(1, 'order', 'en')).toBe('1 order');
    expect(countPhrase(0, 'ticket', 'en')).toBe('0 tickets');
    expect(countPhrase(1234567, 'ticket', 'en')).toBe('1,234,567 tickets');
    expect(formatCount(999, 'ru')).toBe('999');
    expect(formatCount(1000, 'ru')).toBe(`1${NBSP}000`);
  });

  it('builds the subject in both languages', () => {
    expect(mailSubject({ lang: 'ru', orders: 1234, tickets: 2345 })).toBe(`Экспорт заказов: 1${NBSP}234 заказа, 2${NBSP}345 билетов`);
    expect(mailSubject({ lang: 'en', orders: 1234, tickets: 2345 })).toBe('Orders export: 1,234 orders, 2,345 tickets');
    expect(mailSubject({ lang: 'ru', orders: 1, tickets: 1 })).toBe('Экспорт заказов: 1 заказ, 1 билет');
    expect(mailSubject({ lang: 'en', orders: 1, tickets: 1 })).toBe('Orders export: 1 order, 1 ticket');
    expect(mailSubject({ lang: 'ru', orders: 0, tickets: 0 })).toBe('Экспорт заказов: подходящих заказов нет');
    expect(mailSubject({ lang: 'en', orders: 0, tickets: 0 })).toBe('Orders export: no matching orders');
  });

  it('formats moments in the export zone, naming it', () => {
    const d = new Date('2020-07-28T10:00:00Z');
    expect(formatZoned(d, 'Europe/Moscow', 'ru')).toBe('28.07.2020 13:00:00 (Europe/Moscow, UTC+03:00)');
    expect(formatZoned(d, 'America/New_York', 'en')).toBe('2020-07-28 06:00:00 (America/New_York, UTC-04:00)');
    expect(formatZoned(d, 'UTC', 'en')).toBe('2020-07-28 10:00:00 (UTC)');
    expect(formatZoned(d, 'Not/AZone', 'en')).toBe('2020-07-28 10:00:00 (UTC)');
    expect(formatZoned(d, 'Asia/Kolkata', 'en')).toBe('2020-07-28 15:30:00 (Asia/Kolkata, UTC+05:30)');
    expect(formatZoned(new Date('2020-01-15T10:00:00Z'), 'America/New_York', 'ru')).toBe('15.01.2020 05:00:00 (America/New_York, UTC-05:00)');
  });
});

describe('composeExportMail', () => {
  it('sets the headers and a stable Message-ID from the From domain', () => {
    expect(exportMessageId(EXPORT_ID, FROM)).toBe(`<export-${EXPORT_ID}@kassa.example.com>`);
    expect(exportMessageId(EXPORT_ID, 'kassa@localhost')).toBe(`<export-${EXPORT_ID}@localhost>`);
    expect(exportMessageId(EXPORT_ID, '"Касса" <kassa@пример.рф>')).toBe(`<export-${EXPORT_ID}@xn--e1afmkfd.xn--p1ai>`);
    const message = composeExportMail(input());
    expect(message.from).toBe(FROM);
    expect(message.to).toBe('Partner <partner@example.org>');
    expect(message.messageId).toBe(`<export-${EXPORT_ID}@kassa.example.com>`);
    expect(message.date).toBeInstanceOf(Date);
    expect(composeExportMail(input()).messageId).toBe(message.messageId);
  });

  it('never lets CR/LF into headers', () => {
    expect(() => composeExportMail(input({ to: 'a@example.org\r\nBcc: victim@example.org' }))).toThrow(/CR or LF/);
    expect(() => composeExportMail(input({ to: 'a@example.org\nBcc: x@example.org' }))).toThrow(/CR or LF/);
    expect(() => composeExportMail(input({ from: 'kassa@example.com\rX: y' }))).toThrow(/CR or LF/);
    expect(() => composeExportMail(input({ attachments: [{ ...xlsx, filename: 'a\r\nb.xlsx' }] }))).toThrow(/CR or LF/);
    expect(() => composeExportMail(input({ exportId: 'x\r\ny' }))).toThrow();
    expect(() => exportMessageId('a>b', FROM)).toThrow();
    expect(classifyMailError(catchError(() => composeExportMail(input({ to: 'a@b\n' }))))).toBe('permanent');
  });

  it('attaches files by path, never by content', () => {
    const message = composeExportMail(input({ format: 'csv', attachments: [ordersCsv, ticketsCsv] }));
    expect(message.attachments).toEqual([
      { filename: ordersCsv.filename, path: ordersCsv.path, contentType: ordersCsv.contentType, contentDisposition: 'attachment' },
      { filename: ticketsCsv.filename, path: ticketsCsv.path, contentType: ticketsCsv.contentType, contentDisposition: 'attachment' },
    ]);
  });

  it('needs attachments or a link', () => {
    expect(() => composeExportMail(input({ attachments: null, downloadUrl: null }))).toThrow();
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('sending over SMTP', () => {
  it('sends the Russian message with its attachment', async () => {
    const parsed = await sendAndParse(input());
    expect(parsed.subject).toBe(`Экспорт заказов: 1${NBSP}234 заказа, 2${NBSP}345 билетов`);
    expect(parsed.messageId).toBe(`<export-${EXPORT_ID}@kassa.example.com>`);
    expect(parsed.from?.value[0]?.address?.toLowerCase()).toBe('kassa@kassa.example.com');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : undefined).toBe('partner@example.org');
    expect(parsed.date).toBeInstanceOf(Date);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    const text = parsed.text ?? '';
    expect(text).toContain(`Выгрузка заказов готова: 1${NBSP}234 заказа, 2${NBSP}345 билетов.`);
    expect(text).toContain('Дата создания: с 2020-07-01 по 2020-07-31 включительно (created_at=2020-07-01,2020-07-31)');
    expect(text).toContain('Статусы заказов: done, cancelled');
    expect(text).toContain('Мероприятия (2): 5f0000000000000000000001, 5f0000000000000000000002');
    expect(text).toContain('Только заказы с данными покупателя');
    expect(text).toContain('Файл сформирован: 28.07.2020 13:00:00 (Europe/Moscow, UTC+03:00)');
    expect(text).toContain('Формат: XLSX, листы «Заказы» и «Билеты»');
    expect(text).toContain('Во вложении:');
    expect(text).toContain(xlsx.filename);
    expect(text).toContain(`Номер выгрузки: ${EXPORT_ID}`);
    expect(parsed.html).toContain('<html lang="ru">');
    expect(parsed.html).toContain('Выгрузка заказов готова');

    expect(parsed.attachments).toHaveLength(1);
    const [att] = parsed.attachments;
    expect(att?.filename).toBe(xlsx.filename);
    expect(att?.contentType).toBe(xlsx.contentType);
    expect(att?.content.equals(xlsxBytes)).toBe(true);
  });

  it('sends the English CSV message with two attachments, byte for byte', async () => {
    const parsed = await sendAndParse(
      input({ lang: 'en', format: 'csv', tz: 'America/New_York', attachments: [ordersCsv, ticketsCsv], orders: 1, tickets: 1 }),
    );
    expect(parsed.subject).toBe('Orders export: 1 order, 1 ticket');
    const text = parsed.text ?? '';
    expect(text).toContain('Your orders export is ready: 1 order, 1 ticket.');
    expect(text).toContain('Created: from 2020-07-01 through 2020-07-31 (created_at=2020-07-01,2020-07-31)');
    expect(text).toContain('Order statuses: done, cancelled');
    expect(text).toContain('Events (2): 5f0000000000000000000001, 5f0000000000000000000002');
    expect(text).toContain('Only orders with customer details');
    expect(text).toContain('Generated: 2020-07-28 06:00:00 (America/New_York, UTC-04:00)');
    expect(text).toContain('Format: CSV (UTF-8, comma-separated)');
    expect(text).toContain('Attached:');
    expect(parsed.attachments.map((a) => a.filename)).toEqual([ordersCsv.filename, ticketsCsv.filename]);
    expect(parsed.attachments[0]?.content.equals(ordersCsvBytes)).toBe(true);
    expect(parsed.attachments[1]?.content.equals(ticketsCsvBytes)).toBe(true);
  });

  it('says clearly when no orders matched, and still attaches the header-only files', async () => {
    for (const lang of ['ru', 'en'] as const) {
      const parsed = await sendAndParse(input({ lang, orders: 0, tickets: 0, filters: {}, format: 'csv', attachments: [ordersCsv, ticketsCsv] }));
      const text = parsed.text ?? '';
      if (lang === 'ru') {
        expect(parsed.subject).toBe('Экспорт заказов: подходящих заказов нет');
        expect(text).toContain('по заданным фильтрам не найдено ни одного заказа');
        expect(text).toContain('файлы только с заголовками столбцов');
        expect(text).toContain('Фильтры: не заданы');
      } else {
        expect(parsed.subject).toBe('Orders export: no matching orders');
        expect(text).toContain('no orders matched the filters');
        expect(text).toContain('contain only the column headers');
        expect(text).toContain('Filters: none');
      }
      expect(parsed.attachments).toHaveLength(2);
      for (const s of servers.splice(0)) await s.close();
    }
  });

  it('sends a download link with its expiry instead of attachments', async () => {
    const url = 'https://kassa.example.com/v2/resources/orders/exports/abc/file?token=t0k&x=<1>';
    for (const lang of ['ru', 'en'] as const) {
      const parsed = await sendAndParse(
        input({ lang, attachments: null, downloadUrl: url, linkExpiresAt: new Date('2020-08-04T10:00:00Z') }),
      );
      expect(parsed.attachments).toHaveLength(0);
      const text = parsed.text ?? '';
      expect(text).toContain(url);
      expect(text).toContain(
        lang === 'ru'
          ? 'Ссылка действительна до 04.08.2020 13:00:00 (Europe/Moscow, UTC+03:00).'
          : 'The link is valid until 2020-08-04 13:00:00 (Europe/Moscow, UTC+03:00).',
      );
      expect(text).not.toContain(lang === 'ru' ? 'Во вложении' : 'Attached');
      expect(parsed.html).toContain('href="https://kassa.example.com/v2/resources/orders/exports/abc/file?token=t0k&#38;x=&#60;1&#62;"');
      for (const s of servers.splice(0)) await s.close();
    }
  });

  it('escapes titles and filter values in the HTML part', async () => {
    const nasty = `<script>alert("x")</script> & 'q'`;
    const file: ExportFile = { ...ordersCsv, filename: `orders-${nasty}.csv` };
    const parsed = await sendAndParse(input({ filters: { created_at: `${nasty},` }, format: 'csv', attachments: [file] }));
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(`"x"`);
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;q&#39;');
    expect(parsed.text ?? '').toContain(nasty);
    expect(parsed.attachments[0]?.filename).toBe(file.filename);
  });

  it('keeps the Message-ID stable when the same export is sent again', async () => {
    const server = await smtp();
    const m = mailer({ smtpUrl: `smtp://127.0.0.1:${server.port}`, dataDir: dir });
    await m.send(composeExportMail(input()));
    await m.send(composeExportMail(input({ lang: 'en' })));
    await m.send(composeExportMail(input({ exportId: '5f1f0a2b3c4d5e6f7a8b9c0e' })));
    const ids = await Promise.all(server.messages.map(async (raw) => (await simpleParser(raw)).messageId));
    expect(ids[0]).toBe(`<export-${EXPORT_ID}@kassa.example.com>`);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe('<export-5f1f0a2b3c4d5e6f7a8b9c0e@kassa.example.com>');
  });
});

describe('outbox (no SMTP_URL)', () => {
  it('writes one .eml per export, atomically, overwriting on re-send', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kassa-outbox-'));
    try {
      const m = mailer({ smtpUrl: null, dataDir });
      await m.send(composeExportMail(input()));
      await m.send(composeExportMail(input()));
      const files = await readdir(join(dataDir, 'outbox'));
      expect(files).toEqual([`export-${EXPORT_ID}@kassa.example.com.eml`]);
      const raw = await readFile(join(dataDir, 'outbox', files[0] as string));
      expect(raw.includes('\r\n')).toBe(true);
      const parsed = await simpleParser(raw);
      expect(parsed.subject).toBe(`Экспорт заказов: 1${NBSP}234 заказа, 2${NBSP}345 билетов`);
      expect(parsed.messageId).toBe(`<export-${EXPORT_ID}@kassa.example.com>`);
      expect(parsed.attachments[0]?.content.equals(xlsxBytes)).toBe(true);

      await m.send(composeExportMail(input({ exportId: '5f1f0a2b3c4d5e6f7a8b9c0e', lang: 'en' })));
      expect((await readdir(join(dataDir, 'outbox'))).sort()).toEqual([
        `export-${EXPORT_ID}@kassa.example.com.eml`,
        'export-5f1f0a2b3c4d5e6f7a8b9c0e@kassa.example.com.eml',
      ]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('leaves no temp file when writing fails (missing attachment)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kassa-outbox-'));
    try {
      const m = mailer({ smtpUrl: null, dataDir });
      const missing: ExportFile = { ...xlsx, path: join(dataDir, 'gone.xlsx') };
      await expect(m.send(composeExportMail(input({ attachments: [missing] })))).rejects.toThrow();
      expect(await readdir(join(dataDir, 'outbox'))).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('delivery failures against a real server', () => {
  it('a 550 for the recipient is permanent', async () => {
    const server = await smtp(() => smtpError('5.1.1 Mailbox does not exist', 550));
    const err = await sendFails(mailer({ smtpUrl: `smtp://127.0.0.1:${server.port}`, dataDir: dir }), composeExportMail(input()));
    expect(err).toMatchObject({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' });
    expect(classifyMailError(err)).toBe('permanent');
    expect(describeMailError(err)).toMatch(/550 5\.1\.1 Mailbox does not exist/);
    expect(describeMailError(err)).not.toMatch(/[\r\n]/);
  });

  it('a 451 for the recipient is transient', async () => {
    const server = await smtp(() => smtpError('4.3.0 Try again later', 451));
    const err = await sendFails(mailer({ smtpUrl: `smtp://127.0.0.1:${server.port}`, dataDir: dir }), composeExportMail(input()));
    expect(err).toMatchObject({ responseCode: 451 });
    expect(classifyMailError(err)).toBe('transient');
  });

  it('no recipients is permanent', async () => {
    const server = await smtp();
    const message = { ...composeExportMail(input()), to: [] };
    const err = await sendFails(mailer({ smtpUrl: `smtp://127.0.0.1:${server.port}`, dataDir: dir }), message);
    expect(err).toMatchObject({ code: 'EENVELOPE' });
    expect(classifyMailError(err)).toBe('permanent');
  });

  it('connection refused is transient, and the description hides the password', async () => {
    const port = await closedPort();
    const err = await sendFails(
      mailer({ smtpUrl: `smtp://user:secret-pass@127.0.0.1:${port}`, dataDir: dir }),
      composeExportMail(input()),
    );
    expect(err).toMatchObject({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' });
    expect(classifyMailError(err)).toBe('transient');
    const description = describeMailError(err);
    expect(description).toContain('ECONNREFUSED');
    expect(description).not.toContain('secret');
  });

  it('a server that never sends its greeting times out, transiently', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
    });
    const port = await listen(silent);
    try {
      const started = Date.now();
      const err = await sendFails(
        mailer({ smtpUrl: `smtp://127.0.0.1:${port}`, dataDir: dir, timeouts: { greeting: 300 } }),
        composeExportMail(input()),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toMatchObject({ code: 'ETIMEDOUT' });
      expect(classifyMailError(err)).toBe('transient');
      expect(describeMailError(err)).toMatch(/greeting/i);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('describeMailError strips credentials from any URL and stays on one line', () => {
    const err = Object.assign(new Error('could not reach smtps://user:secret@mail.example.com:465\nsecond line'), { code: 'ESOCKET' });
    const d = describeMailError(err);
    expect(d).toBe('could not reach smtps://***@mail.example.com:465 second line [ESOCKET]');
    expect(describeMailError('smtp://u:secret@h:1 failed')).not.toContain('secret');
    expect(describeMailError(undefined)).toBe('unknown mail error');
  });

  it('classifies by reply code and error code', () => {
    expect(classifyMailError({ responseCode: 554 })).toBe('permanent');
    expect(classifyMailError({ responseCode: 552, code: 'EMESSAGE' })).toBe('permanent');
    expect(classifyMailError({ responseCode: 421, code: 'ECONNECTION' })).toBe('transient');
    expect(classifyMailError({ responseCode: 503, code: 'EPROTOCOL' })).toBe('transient');
    expect(classifyMailError({ code: 'EDNS' })).toBe('transient');
    expect(classifyMailError({ code: 'ETLS' })).toBe('transient');
    expect(classifyMailError({ code: 'ETIMEDOUT' })).toBe('transient');
    expect(classifyMailError({ code: 'ECONNRESET' })).toBe('transient');
    expect(classifyMailError({ code: 'EENVELOPE' })).toBe('permanent');
    expect(classifyMailError(new Error('something else'))).toBe('transient');
  });
});
