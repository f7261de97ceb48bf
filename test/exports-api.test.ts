/**
 * Exports through the HTTP API and an in-process worker, on both databases,
 * with a real SMTP server: validation, durability, idempotency, rate limit,
 * status, the files' contents against the list, retries and failures,
 * download links. (Process kills are in exports-processes.test.ts.)
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import type { ParsedMail } from 'mailparser';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { orderHeaders, ticketHeaders } from '../src/exports/files.js';
import { createMailer } from '../src/exports/mail.js';
import { ExportsRepository } from '../src/exports/repository.js';
import { ExportWorker } from '../src/exports/worker.js';
import type { Order, OrdersPage } from '../src/orders/schemas.js';
import { authFor, testApp, testConfig } from './support/app.js';
import { Dataset } from './support/builders.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';
import { startSmtp, smtpError, type TestSmtp } from './support/smtp.js';
import { unzip } from './support/zip.js';

const EXPORT = '/v2/resources/orders/export';

describe.each(DIALECTS)('exports (%s)', (dialect) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let config: Config;
  let app: FastifyInstance;
  let worker: ExportWorker;
  let auth: { org: string; vendor: string; outsider: string };
  const data = new Dataset('e1');
  const org = data.partner('Концертное агентство «Мир», "кавычки"');
  const vendor = data.partner('=HYPERLINK("http://evil","click")');
  const outsider = data.partner('Outsider');
  const event = data.event(org, { title: { text: '=SUM(A1:A9) КоЯн, "тур"\nновая строка 🎸', desc: 'описание' } });
  const other = data.event(org, { title: { text: 'Plain event', desc: null } });
  const orders: Order[] = [];
  for (let i = 0; i < 12; i++) {
    orders.push(
      data.order({
        event: i % 3 === 0 ? other : event,
        vendor: i % 2 === 0 ? vendor : null,
        status: (['done', 'cancelled', 'expired', 'in_progress'] as const)[i % 4],
        created_at: `2020-07-${String(10 + i).padStart(2, '0')} 12:00:00`,
        customer: i % 5 === 4 ? undefined : { name: i === 1 ? '-1+1' : 'Иван Петров', email: '@me@example.com', phone: '+7 900 000-00-00', lang: 'ru' },
        tickets: Array.from({ length: i % 4 }, (_, k) => ({
          price: 150000 + k * 1000,
          discount: k === 1 ? 1000 : 0,
          extra: 600,
          ...(k === 2 ? { seat: { row: '5', number: 12, sector: 'Партер' } } : {}),
        })),
      }),
    );
  }

  const exportsRows = () => t.db.kysely.selectFrom('exports').selectAll().orderBy('created_at').orderBy('id').execute();
  const post = (who: string, body: unknown, options: { query?: string; headers?: Record<string, string> } = {}) =>
    app.inject({
      method: 'POST',
      url: `${EXPORT}${options.query ?? ''}`,
      headers: { authorization: who, 'content-type': 'application/json', ...options.headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const messagesFor = async (id: string): Promise<ParsedMail[]> =>
    (await smtp.parsed()).filter((m) => m.messageId?.startsWith(`<export-${id}@`));
  const idFrom = (location: string | string[] | number | undefined) => String(location).split('/').pop()!;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    const { importNdjson } = await import('./support/app.js');
    await importNdjson(t.db, data.lines);
    smtp = await startSmtp();
    config = testConfig({ SMTP_URL: smtp.url, EXPORT_RATE_LIMIT: '1000', EXPORT_RETRY_BASE_MS: '0', EXPORT_MAX_ATTEMPTS: '3' });
    app = await testApp(t.db, { config });
    worker = new ExportWorker({ db: t.db, config, mailer: createMailer({ smtpUrl: smtp.url, dataDir: config.dataDir }), logger: pino({ level: 'silent' }) });
    auth = { org: await authFor(t.db, org.id), vendor: await authFor(t.db, vendor.id), outsider: await authFor(t.db, outsider.id) };
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
    await smtp?.close();
    await t?.drop();
  });
  beforeEach(() => {
    smtp.onRcpt = null;
  });

  it('rejects bad requests with every problem listed, and queues nothing', async () => {
    const before = (await exportsRows()).length;
    const bad = async (body: unknown, status = 400, headers: Record<string, string> = {}) => {
      const res = await post(auth.org, body, { headers });
      expect(res.statusCode, res.body).toBe(status);
      const json = res.json() as { error: string; reason: string; errors: string[] };
      expect(json.error).toBe(status === 413 ? 'payload_too_large' : 'invalid_request');
      expect(json.reason).toBeTruthy();
      return json.errors;
    };
    expect(await bad({})).toEqual(['email is required: the address that receives the file']);
    expect(await bad({ email: 'a@b.com\r\nBcc: x@y.com' })).toEqual(['email must not contain line breaks']);
    expect((await bad({ email: 'a@b.com, c@d.com' }))[0]).toMatch(/^email must be one e-mail address/);
    expect((await bad({ email: 'nobody' }))[0]).toMatch(/^email must be one e-mail address/);
    const many = await bad({ email: 'x@y.com', format: 'pdf', lang: 'de', tz: 'Mars/Olympus', status: 'paid', created_at: '2020-01-01', page_size: 0 });
    expect(many).toHaveLength(5);
    expect(many.join('\n')).toMatch(/format must be one of xlsx, csv/);
    expect(many.join('\n')).toMatch(/lang must be one of ru, en/);
    expect(many.join('\n')).toMatch(/tz must be an IANA time zone/);
    expect(many.join('\n')).toMatch(/status "paid" is not a valid order status/);
    expect(many.join('\n')).toMatch(/created_at must be "FROM,TO"/);
    expect(await bad('{"email": ')).toEqual(['the request body is not valid JSON']);
    expect(await bad('[1,2]')).toEqual(['the request body must be a JSON object']);
    expect(await bad('"x@y.com"')).toEqual(['the request body must be a JSON object']);
    expect(await bad({ email: 'x@y.com', pad: 'x'.repeat(70_000) }, 413)).toEqual(['the request body is too large']);
    expect(await bad('email=x@y.com', 415, { 'content-type': 'application/x-www-form-urlencoded' })).toHaveLength(1);
    expect(await bad('x@y.com', 415, { 'content-type': 'text/plain' })).toEqual(['the request body must be application/json']);
    const twice = await app.inject({ method: 'POST', url: `${EXPORT}?email=a@example.com&email=b@example.com`, headers: { authorization: auth.org } });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().errors).toEqual(['email must be given once: one address receives the file']);
    expect(await bad({ email: 'x@y.com' }, 400, { 'idempotency-key': 'has space' })).toEqual([
      'Idempotency-Key must be 1 to 200 visible ASCII characters',
    ]);
    const unauthenticated = await app.inject({ method: 'POST', url: EXPORT, payload: { email: 'x@y.com' } });
    expect(unauthenticated.statusCode).toBe(401);
    expect((await exportsRows()).length).toBe(before);
  });

  it('answers 200 with an empty text/html body and Location, after the export is stored', async () => {
    const res = await post(auth.org, { email: ' boss@example.com ', status: ['done', 'canceled'] }, { query: '?format=CSV&lang=en&tz=europe/moscow&email=ignored@example.com' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['content-type']).toBe('text/html; charset=UTF-8');
    const id = idFrom(res.headers.location);
    expect(res.headers.location).toBe(`/v2/resources/orders/exports/${id}`);
    // Stored before the response: visible at once, from another connection's point of view too.
    const row = (await exportsRows()).find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: 'queued', email: 'boss@example.com', format: 'csv', lang: 'en', tz: 'Europe/Moscow', partner_id: org.id });
    expect(JSON.parse(row.filters)).toEqual({ status: ['done', 'cancelled'] });
    // Only query parameters, empty JSON body: fine.
    const queryOnly = await app.inject({
      method: 'POST',
      url: `${EXPORT}?email=q@example.com&format=xlsx`,
      headers: { authorization: auth.org, 'content-type': 'application/json' },
    });
    expect(queryOnly.statusCode, queryOnly.body).toBe(200);
    const noBody = await app.inject({ method: 'POST', url: `${EXPORT}?email=nobody@example.com`, headers: { authorization: auth.org } });
    expect(noBody.statusCode, noBody.body).toBe(200);
    while (await worker.runOnce());
  });

  async function listAll(who: string, query: string): Promise<OrdersPage> {
    const res = await app.inject({ url: `/v2/resources/orders?page_size=200&${query}`, headers: { authorization: who } });
    expect(res.statusCode).toBe(200);
    return res.json() as OrdersPage;
  }

  async function exportAndReceive(who: string, body: Record<string, unknown>): Promise<{ id: string; mail: ParsedMail }> {
    const res = await post(who, { email: 'manager@example.com', ...body });
    expect(res.statusCode, res.body).toBe(200);
    const id = idFrom(res.headers.location);
    while (await worker.runOnce());
    const mails = await messagesFor(id);
    expect(mails).toHaveLength(1);
    return { id, mail: mails[0]! };
  }

  const money = (s: string) => Number(s);

  it('csv: both files hold exactly what the list returns for the same filters (RFC 4180, BOM, formulas neutralised)', async () => {
    const filters = { status: 'done,cancelled,in_progress', created_at: '2020-07-11,2020-07-21T12:00' };
    const { mail } = await exportAndReceive(auth.org, { ...filters, format: 'csv', lang: 'ru', tz: 'Europe/Moscow' });
    const list = await listAll(auth.org, new URLSearchParams(filters).toString());
    expect(list.data.length).toBeGreaterThan(3);
    const [ordersCsv, ticketsCsv] = ['orders-', 'tickets-'].map((p) => mail.attachments.find((a) => a.filename?.startsWith(p))!);
    expect(ordersCsv!.content.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parse(ordersCsv!.content.toString('utf8').slice(1), { relax_column_count: false }) as string[][];
    expect(rows[0]).toEqual(orderHeaders('ru', 'Europe/Moscow'));
    expect(rows.slice(1).map((r) => r[2])).toEqual(list.data.map((o) => o.id));
    for (const [i, o] of list.data.entries()) {
      const r = rows[i + 1]!;
      expect(r[0]).toBe(String(o.number));
      expect(r[3]).toBe(o.status);
      // 12:00:00 UTC is 15:00:00 in Moscow (UTC+3, no DST since 2014)
      expect(r[4]).toBe(o.created_at.replace('12:00:00', '15:00:00'));
      const title = list.refs.events[o.event]!.title.text;
      expect(r[8]).toBe(title.startsWith('=') ? `'${title}` : title);
      expect(r[13]).toBe(o.vendor === null ? '' : `'${vendor.name}`);
      expect(r[18]).toBe(String(o.tickets.length));
      expect(r.slice(19, 24)).toEqual([o.values.price, o.values.discount, o.values.nominal, o.values.extra, o.values.full]);
      if (o.settings.customer) expect(r[17]).toBe(`'${o.settings.customer.phone}`);
    }
    const tickets = parse(ticketsCsv!.content.toString('utf8').slice(1)) as string[][];
    expect(tickets[0]).toEqual(ticketHeaders('ru', 'Europe/Moscow'));
    const expected = list.data.flatMap((o) => o.tickets.map((tk) => ({ o, tk })));
    expect(tickets.slice(1).map((r) => r[3])).toEqual(expected.map((x) => x.tk.id));
    for (const [i, { o, tk }] of expected.entries()) {
      const r = tickets[i + 1]!;
      expect(r.slice(0, 3)).toEqual([String(o.number), o.id, o.status]);
      expect(r.slice(12)).toEqual([tk.price, tk.discount, tk.nominal, tk.extra, tk.full]);
      expect(r.slice(9, 12)).toEqual(tk.seat ? [String(tk.seat.row), String(tk.seat.number), String(tk.seat.sector)] : ['', '', '']);
    }
    expect(mail.subject).toContain(`${list.pagination.total}`);
    expect(mail.text).toContain('2020-07-11,2020-07-21T12:00');
  });

  it('xlsx: Orders and Tickets sheets with numeric money, date cells and plain-text formulas', async () => {
    const { mail } = await exportAndReceive(auth.vendor, { format: 'xlsx', lang: 'en', only_with_customer: true });
    const list = await listAll(auth.vendor, 'only_with_customer=true');
    const file = mail.attachments.find((a) => a.filename?.endsWith('.xlsx'))!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.content as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Orders', 'Tickets']);
    const sheet = wb.getWorksheet('Orders')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(orderHeaders('en', 'UTC'));
    expect(sheet.rowCount).toBe(list.data.length + 1);
    for (const [i, o] of list.data.entries()) {
      const row = sheet.getRow(i + 2);
      expect(row.getCell(3).value).toBe(o.id);
      const created = row.getCell(5).value;
      expect(created).toBeInstanceOf(Date);
      expect((created as Date).toISOString().slice(0, 19).replace('T', ' ')).toBe(o.created_at);
      expect(row.getCell(20).value).toBe(money(o.values.price));
      expect(row.getCell(20).numFmt).toBe('0.00');
      const title = row.getCell(9).value;
      expect(typeof title).toBe('string');
      expect(title).toBe(list.refs.events[o.event]!.title.text);
      expect(row.getCell(14).value).toBe(vendor.name);
    }
    const tickets = wb.getWorksheet('Tickets')!;
    expect(tickets.rowCount).toBe(list.data.reduce((n, o) => n + o.tickets.length, 0) + 1);
  });

  it('no matching orders: the e-mail still goes out, says so, with header-only files', async () => {
    const { mail } = await exportAndReceive(auth.outsider, { format: 'csv', lang: 'en' });
    expect(mail.subject).toBe('Orders export: no matching orders');
    expect(mail.attachments).toHaveLength(2);
    for (const a of mail.attachments) expect(parse(a.content.toString('utf8').slice(1))).toHaveLength(1);
  });

  it('Idempotency-Key: same key and parameters → same export and one e-mail; different parameters → 409', async () => {
    const key = { 'idempotency-key': `k-${dialect}-1` };
    const a = await post(auth.org, { email: 'idem@example.com', status: ['done', 'cancelled'] }, { headers: key });
    const b = await post(auth.org, { email: 'IDEM@example.com', status: 'cancelled,done' }, { headers: key });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.headers.location).toBe(a.headers.location);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const conflict = await post(auth.org, { email: 'idem@example.com', status: ['done'] }, { headers: key });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'conflict' });
    // another partner's identical key is another export
    const c = await post(auth.vendor, { email: 'idem@example.com' }, { headers: key });
    expect(c.headers.location).not.toBe(a.headers.location);
    while (await worker.runOnce());
    expect(await messagesFor(idFrom(a.headers.location))).toHaveLength(1);
    // after 24 h the key is free again
    await t.db.kysely.updateTable('exports').set({ created_at: Date.now() - 25 * 3600 * 1000 }).where('id', '=', idFrom(a.headers.location)).execute();
    const later = await post(auth.org, { email: 'idem@example.com', status: ['done'] }, { headers: key });
    expect(later.statusCode).toBe(200);
    expect(later.headers.location).not.toBe(a.headers.location);
    while (await worker.runOnce());
  });

  it('rate limit per partner → 429 with Retry-After; replays do not count', async () => {
    const limited = await testApp(t.db, { config: testConfig({ EXPORT_RATE_LIMIT: '2' }) });
    try {
      const partner = data.id();
      await t.db.kysely.insertInto('partners').values({ id: partner, name: 'Limited' }).execute();
      const who = await authFor(t.db, partner);
      const send = (key: string) =>
        limited.inject({ method: 'POST', url: EXPORT, headers: { authorization: who, 'idempotency-key': key }, payload: { email: 'r@example.com' } });
      expect((await send('1')).statusCode).toBe(200);
      expect((await send('2')).statusCode).toBe(200);
      const third = await send('3');
      expect(third.statusCode).toBe(429);
      expect(third.json()).toMatchObject({ error: 'rate_limited' });
      const retryAfter = Number(third.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect((await send('1')).statusCode).toBe(200); // a replay is not a new request
      // other partners are not affected
      const other = await limited.inject({ method: 'POST', url: EXPORT, headers: { authorization: auth.outsider }, payload: { email: 'r@example.com' } });
      expect(other.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
    while (await worker.runOnce());
  });

  it('status endpoints are tenant-scoped', async () => {
    const res = await post(auth.org, { email: 'status@example.com', events: [event.id], only_with_customer: '1' });
    const id = idFrom(res.headers.location);
    const one = await app.inject({ url: `/v2/resources/orders/exports/${id}`, headers: { authorization: auth.org } });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      id,
      status: 'queued',
      email: 'status@example.com',
      format: 'xlsx',
      filters: { events: [event.id], only_with_customer: true },
      orders: null,
      tickets: null,
      attempts: 0,
      error: null,
      started_at: null,
      finished_at: null,
    });
    expect(one.json().created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    for (const url of [`/v2/resources/orders/exports/${id}`, '/v2/resources/orders/exports/nonsense']) {
      const res404 = await app.inject({ url, headers: { authorization: auth.outsider } });
      expect(res404.statusCode).toBe(404);
      expect(res404.json()).toMatchObject({ error: 'not_found' });
    }
    while (await worker.runOnce());
    const done = (await app.inject({ url: `/v2/resources/orders/exports/${id}`, headers: { authorization: auth.org } })).json();
    const expectedOrders = orders.filter((o) => o.event === event.id && o.settings.customer);
    expect(done).toMatchObject({ status: 'sent', attempts: 1, orders: expectedOrders.length, tickets: expectedOrders.reduce((n, o) => n + o.tickets.length, 0) });
    const page = (await app.inject({ url: '/v2/resources/orders/exports?page_size=2', headers: { authorization: auth.org } })).json() as {
      data: { id: string; created_at: string }[];
      pagination: { total: number; page: number; page_size: number };
    };
    const mine = (await exportsRows()).filter((r) => r.partner_id === org.id);
    expect(page.pagination).toEqual({ page: 1, page_size: 2, total: mine.length });
    expect(page.data[0]!.id).toBe(id);
    const outsiderList = (await app.inject({ url: '/v2/resources/orders/exports', headers: { authorization: auth.outsider } })).json() as {
      data: { id: string }[];
    };
    expect(outsiderList.data.map((e) => e.id)).not.toContain(id);
  });

  it('a transient SMTP failure is retried and delivered once; a permanent one fails at once', async () => {
    let refusals = 1;
    smtp.onRcpt = () => (refusals-- > 0 ? smtpError('try later', 451) : null);
    const res = await post(auth.org, { email: 'retry@example.com' });
    const id = idFrom(res.headers.location);
    expect(await worker.runOnce()).toBe(true);
    const afterFirst = (await exportsRows()).find((r) => r.id === id)!;
    expect(afterFirst).toMatchObject({ status: 'queued', attempts: 1 });
    expect(afterFirst.error).toMatch(/451/);
    while (await worker.runOnce());
    expect((await exportsRows()).find((r) => r.id === id)).toMatchObject({ status: 'sent', attempts: 2, error: null });
    expect(await messagesFor(id)).toHaveLength(1);

    smtp.onRcpt = () => smtpError('no such user', 550);
    const perm = await post(auth.org, { email: 'nobody@example.com' });
    const permId = idFrom(perm.headers.location);
    while (await worker.runOnce());
    const failed = (await exportsRows()).find((r) => r.id === permId)!;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.error).toMatch(/550/);
    expect(failed.finished_at).not.toBeNull();

    smtp.onRcpt = () => smtpError('still busy', 421);
    const busy = await post(auth.org, { email: 'busy@example.com' });
    while (await worker.runOnce());
    expect((await exportsRows()).find((r) => r.id === idFrom(busy.headers.location))).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('retry delay doubles per attempt, computed in SQL', async () => {
    const repo = new ExportsRepository(t.db);
    const res = await post(auth.org, { email: 'backoff@example.com' });
    const id = idFrom(res.headers.location);
    for (const attempt of [1, 2, 3]) {
      const now = Date.now();
      const job = await repo.claim('w-test', now, 60_000);
      expect(job?.id).toBe(id);
      expect(job?.attempts).toBe(attempt);
      const outcome = await repo.markFailed(id, 'w-test', now, 'boom', false, 1000);
      const row = (await exportsRows()).find((r) => r.id === id)!;
      expect(outcome).toBe(attempt < 3 ? 'queued' : 'failed');
      expect(Number(row.run_at)).toBe(now + 1000 * 2 ** (attempt - 1));
      await t.db.kysely.updateTable('exports').set({ run_at: 0 }).where('id', '=', id).where('status', '=', 'queued').execute();
    }
  });

  it('an expired lease is reclaimed by another worker', async () => {
    const repo = new ExportsRepository(t.db);
    const res = await post(auth.org, { email: 'lease@example.com' });
    const id = idFrom(res.headers.location);
    const dead = await repo.claim('dead-worker', Date.now(), 1);
    expect(dead?.id).toBe(id);
    await new Promise((r) => setTimeout(r, 5));
    while (await worker.runOnce());
    const row = (await exportsRows()).find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await messagesFor(id)).toHaveLength(1);
    // the dead worker coming back cannot record anything
    expect(await repo.markSent(id, 'dead-worker', Date.now(), { orders: 0, tickets: 0 })).toBe(false);
  });

  it('above the attachment limit the e-mail carries a download link (capability token, 410 after expiry)', async () => {
    const small = testConfig({ SMTP_URL: smtp.url, EXPORT_MAX_ATTACHMENT_BYTES: '100', PUBLIC_URL: 'https://kassa.example.com' });
    const linkWorker = new ExportWorker({ db: t.db, config: small, mailer: createMailer({ smtpUrl: smtp.url, dataDir: small.dataDir }), logger: pino({ level: 'silent' }) });
    try {
      for (const format of ['csv', 'xlsx'] as const) {
        const res = await post(auth.org, { email: 'big@example.com', format });
        const id = idFrom(res.headers.location);
        while (await linkWorker.runOnce());
        const [mail] = await messagesFor(id);
        expect(mail!.attachments).toHaveLength(0);
        const link = new RegExp(`https://kassa\\.example\\.com(/v2/resources/orders/exports/${id}/file\\?token=[a-z0-9]{32})`).exec(mail!.text ?? '');
        expect(link).not.toBeNull();
        const path = link![1]!;
        const file = await app.inject({ url: path }); // no API key: the token is the capability
        expect(file.statusCode).toBe(200);
        expect(file.headers['content-type']).toBe(format === 'csv' ? 'application/zip' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        expect(file.rawPayload.subarray(0, 2).toString()).toBe('PK');
        expect((await app.inject({ url: path.replace(/token=.*/, `token=${'a'.repeat(32)}`) })).statusCode).toBe(404);
        await t.db.kysely.updateTable('exports').set({ file_expires_at: Date.now() - 1 }).where('id', '=', id).execute();
        const gone = await app.inject({ url: path });
        expect(gone.statusCode).toBe(410);
        expect(gone.json()).toMatchObject({ error: 'not_found' });
        // the expired file is deleted from disk and forgotten
        const stored = (await exportsRows()).find((r) => r.id === id)!.file_path!;
        expect(existsSync(stored)).toBe(true);
        // only the download is on disk: the csv files were dropped as they crossed the limit
        expect(readdirSync(dirname(stored))).toEqual([basename(stored)]);
        if (format === 'csv') {
          const entries = unzip(file.rawPayload);
          expect([...entries.keys()].map((n) => n.replace(/-\d{8}-\d{6}/, ''))).toEqual(['orders.csv', 'tickets.csv']);
          const orderLines = entries.get([...entries.keys()][0]!)!.toString('utf8').split('\r\n');
          const sent = (await exportsRows()).find((r) => r.id === id)!;
          // the header, a line per order, and the empty string after the last CRLF
          expect(orderLines).toHaveLength(Number(sent.orders) + 2);
          expect(Number(sent.orders)).toBeGreaterThan(0);
        }
        expect(await linkWorker.cleanupExpiredFiles()).toBe(1);
        expect(existsSync(stored)).toBe(false);
        expect(existsSync(join(small.exports.dir, id))).toBe(false);
        expect((await exportsRows()).find((r) => r.id === id)!.file_path).toBeNull();
        expect((await app.inject({ url: path })).statusCode).toBe(410);
      }
    } finally {
      await linkWorker.stop();
    }
  });

  it('/metrics shows requests and export jobs by state', async () => {
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/kassa_export_jobs\{state="sent"\} [1-9]/);
    expect(res.body).toMatch(/kassa_export_jobs\{state="failed"\} [1-9]/);
    expect(res.body).toMatch(/kassa_http_requests_total\{method="POST",route="\/v2\/resources\/orders\/export",status="200"\} [1-9]/);
  });
});
