/**
 * The xlsx export on PostgreSQL writes its tickets sheets in a thread of its
 * own (src/exports/tickets-thread.ts), reading the export's exported
 * snapshot. The workbook must be the one a single thread writes, part for
 * part; the thread must see the snapshot, not later writes; a failing or
 * aborted thread must leave no files and no connection. PostgreSQL only:
 * SQLite cannot share a snapshot, and keeps one thread.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeExportFiles } from '../src/exports/files.js';
import { ExportRowMapper, mapped } from '../src/exports/mappers.js';
import { ExportReader, type SnapshotReader } from '../src/exports/repository.js';
import type { WriteFilesOptions } from '../src/exports/types.js';
import type { OrderFilters } from '../src/orders/filters.js';
import { Dataset } from './support/builders.js';
import { DIALECTS, connectionsBackTo, createTestDb, otherConnections, type TestDb } from './support/db.js';
import { unzip } from './support/zip.js';

describe.each(DIALECTS.filter((d) => d === 'postgres'))('xlsx tickets written in a thread (%s)', (dialect) => {
  let t: TestDb;
  let dir: string;
  const data = new Dataset('e7');
  const org = data.partner('Организатор "Мир" & <друзья>');
  const events = [0, 1, 2].map((i) => data.event(org, { title: { text: `Event ${i} — «${'x'.repeat(i)}»`, desc: null } }));
  for (let i = 0; i < 60; i++) {
    data.order({
      event: events[i % 3]!,
      created_at: `2026-0${1 + (i % 9)}-1${i % 10} 1${i % 10}:0${i % 6}:00`,
      status: (['done', 'cancelled', 'expired', 'in_progress'] as const)[i % 4],
      // 0 to 4 tickets: 120 in all, the tickets table longer than the orders
      tickets: Array.from({ length: i % 5 }, (_, k) => ({ price: 100_000 + 137 * i + k, barcode: k === 1 ? `=B${i}` : `bc-${i}-${k}`, seat: { row: `${k}`, number: i, sector: 'Партер' } })),
      ...(i % 3 ? { customer: { name: `Покупатель ${i} <b>`, email: `c${i}@example.com`, phone: '+7 900', lang: 'ru' } } : {}),
    });
  }
  const all: OrderFilters = { onlyWithCustomer: false };
  const base = { format: 'xlsx' as const, lang: 'ru' as const, tz: 'Europe/Moscow', generatedAt: new Date('2026-11-30T00:00:00Z') };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kassa-xlsx-thread-'));
    t = await createTestDb(dialect);
    await data.load(t.db);
  });

  afterAll(async () => {
    await t?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const orders = (snap: SnapshotReader, filters: OrderFilters) => mapped(snap.orderRecords(org.id, filters), ExportRowMapper.order);

  /** The export written with the tickets in a thread, inside `within` (run in the snapshot before the thread starts). */
  async function threaded(
    filters: OrderFilters,
    more: Partial<WriteFilesOptions> & { dir: string },
    within: (snap: SnapshotReader) => Promise<void> = async () => undefined,
  ) {
    return new ExportReader(t.db).snapshot(async (snap) => {
      const ticketsRead = { url: t.url, snapshot: await snap.exportSnapshot(), partnerId: org.id, filters };
      await within(snap);
      return writeExportFiles({ ...base, ...more, orders: orders(snap, filters), ticketsRead } as WriteFilesOptions);
    });
  }

  /** The same export written by one thread, tickets as a second pass. */
  async function single(filters: OrderFilters, more: Partial<WriteFilesOptions> & { dir: string }) {
    return new ExportReader(t.db).snapshot((snap) =>
      writeExportFiles({
        ...base,
        ...more,
        orders: orders(snap, filters),
        tickets: () => mapped(snap.ticketRecords(org.id, filters), ExportRowMapper.ticket),
      } as WriteFilesOptions),
    );
  }

  it.each([
    ['Excel\u2019s row limit', undefined],
    ['7 rows per sheet: continuation sheets in both tables', 7],
  ])('writes the workbook one thread writes, part for part (%s)', async (_name, maxSheetRows) => {
    const filters: OrderFilters = { onlyWithCustomer: false, statuses: ['done', 'cancelled', 'expired'] };
    const a = await threaded(filters, { dir: await mkdtemp(join(dir, 'thread-')), maxSheetRows });
    const b = await single(filters, { dir: await mkdtemp(join(dir, 'single-')), maxSheetRows });
    expect(a.orders).toBe(45);
    expect(a.tickets).toBe(90);
    expect({ orders: a.orders, tickets: a.tickets }).toEqual({ orders: b.orders, tickets: b.tickets });
    const [pa, pb] = [unzip(await readFile(a.download.path)), unzip(await readFile(b.download.path))];
    expect([...pa.keys()]).toEqual([...pb.keys()]);
    for (const [name, bytes] of pb) expect(pa.get(name)!.toString('utf8'), name).toBe(bytes.toString('utf8'));
    const workbook = pa.get('xl/workbook.xml')!.toString('utf8');
    if (maxSheetRows) {
      // 45 orders → 8 sheets of 6, 90 tickets → 15
      expect(workbook).toContain('name="Заказы 8"');
      expect(workbook).toContain('name="Билеты 15"');
      expect(workbook).not.toContain('name="Билеты 16"');
    } else {
      expect(workbook.match(/<sheet /g)).toHaveLength(2);
    }
    // the thread's own files are gone; only the workbook is left
    expect(await readdir(join(a.download.path, '..'))).toEqual([a.download.filename]);
  });

  it('reads the export’s snapshot: tickets changed after it was taken are written as they were', async () => {
    const target = await mkdtemp(join(dir, 'snapshot-'));
    const changed = await t.db.kysely.selectFrom('tickets').select('id').where('barcode', 'like', 'bc-%').execute();
    expect(changed.length).toBeGreaterThan(10);
    try {
      const r = await threaded(all, { dir: target }, async () => {
        // committed on another connection after the snapshot was exported, before the thread reads
        await t.db.kysely.updateTable('tickets').set({ barcode: 'changed later' }).where('barcode', 'like', 'bc-%').execute();
        await t.db.kysely.deleteFrom('tickets').where('barcode', 'like', '=B%').execute();
      });
      expect(r.tickets).toBe(120);
      const sheets = [...unzip(await readFile(r.download.path)).entries()].filter(([name]) => name.startsWith('xl/worksheets/'));
      const xml = sheets.map(([, bytes]) => bytes.toString('utf8')).join('');
      expect(xml).not.toContain('changed later');
      expect(xml).toContain('bc-8-2');
      expect(xml).toContain('=B8');
    } finally {
      await t.drop();
      t = await createTestDb(dialect);
      await data.load(t.db);
    }
  });

  it('fails with the thread’s own error when it cannot read, leaving no files', async () => {
    const target = await mkdtemp(join(dir, 'fail-'));
    const before = await otherConnections(t.url);
    await expect(
      new ExportReader(t.db).snapshot((snap) =>
        // a well-formed id no transaction exported
        writeExportFiles({ ...base, dir: target, orders: orders(snap, all), ticketsRead: { url: t.url, snapshot: '0000FFFF-0000FFFF-1', partnerId: org.id, filters: all } }),
      ),
    ).rejects.toThrow(/snapshot/);
    expect(await readdir(target)).toEqual([]);
    expect(await connectionsBackTo(t.url, before)).toBe(before);
  });

  it('terminates a thread that holds its connection when the export is aborted while waiting for it: no files, the connection closed', async () => {
    const target = await mkdtemp(join(dir, 'abort-waiting-'));
    // backends check their client's socket while they wait (PostgreSQL 14+): a backend whose
    // client is gone ends even while it still waits for the lock
    await sql`alter database ${sql.id(new URL(t.url).pathname.slice(1))} set client_connection_check_interval = 100`.execute(t.db.kysely);
    const before = await otherConnections(t.url);
    // holds the tickets table so that the thread, connected and in its snapshot, waits on its read
    const locker = new pg.Client({ connectionString: t.url });
    await locker.connect();
    let stop = false;
    const exported = new ExportReader(t.db).snapshot(async (snap) => {
      const ticketsRead = { url: t.url, snapshot: await snap.exportSnapshot(), partnerId: org.id, filters: all };
      await locker.query('begin');
      await locker.query('lock table tickets in access exclusive mode');
      return writeExportFiles({ ...base, dir: target, orders: orders(snap, all), ticketsRead, aborted: () => stop });
    });
    exported.catch(() => undefined); // awaited below
    // asked outside the locker's transaction, which would see pg_stat_activity as of its first look
    const watcher = new pg.Client({ connectionString: t.url });
    await watcher.connect();
    const waiting = async () =>
      Number((await watcher.query<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")).rows[0]!.n);
    for (let i = 0; i < 100 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await waiting()).toBe(1);
    await watcher.end();
    // the orders are long written: the export waits for the thread alone
    stop = true;
    await expect(exported).rejects.toThrow('export aborted');
    expect(await readdir(target)).toEqual([]);
    // the thread's backend is gone while the lock is still held: its client was terminated, it did not finish
    expect(await connectionsBackTo(t.url, before + 1)).toBe(before + 1);
    await locker.query('rollback');
    await locker.end();
    expect(await connectionsBackTo(t.url, before)).toBe(before);
  });

  it('stops the thread when the export is aborted at the orders’ last check: no files left', async () => {
    const target = await mkdtemp(join(dir, 'abort-'));
    const before = await otherConnections(t.url);
    let rows = 0;
    await expect(
      new ExportReader(t.db).snapshot(async (snap) => {
        const ticketsRead = { url: t.url, snapshot: await snap.exportSnapshot(), partnerId: org.id, filters: all };
        const counted = (async function* () {
          for await (const row of orders(snap, all)) {
            rows += 1;
            yield row;
          }
        })();
        // aborted once every order is written: at the check after the orders' last row
        return writeExportFiles({ ...base, dir: target, orders: counted, ticketsRead, aborted: () => rows === 60 });
      }),
    ).rejects.toThrow('export aborted');
    expect(await readdir(target)).toEqual([]);
    expect(await connectionsBackTo(t.url, before)).toBe(before);
  });
});
