/**
 * Import of NDJSON (SPEC §7): all-or-nothing per file, a bad line reported
 * with its line number, references resolved within the file or the database
 * (forward references allowed), re-import of an id updates it.
 */
import type { Db } from '../db/database.js';
import { EventMapper, OrderMapper, PartnerMapper, type OrderRows } from '../orders/mappers.js';
import { ImportRepository } from './repository.js';
import { validateLine, type ImportItem } from './validate.js';

export interface ImportProblem {
  line: number;
  message: string;
}

export class ImportFailed extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super(
      `import aborted, nothing was written:\n${problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n')}`,
    );
  }
}

export interface ImportSummary {
  partners: number;
  events: number;
  orders: number;
  tickets: number;
}

const BATCH = 500;
const MAX_PROBLEMS = 20;

/** Collects lines of one file inside one transaction. */
class Importer {
  readonly summary: ImportSummary = { partners: 0, events: 0, orders: 0, tickets: 0 };
  readonly problems: ImportProblem[] = [];
  private readonly partners = new Map<string, boolean>();
  private readonly eventOrg = new Map<string, string | null>();
  /** references not yet resolved: id -> first line naming it (and the org an order expects) */
  private readonly pendingPartners = new Map<string, { line: number; what: string }>();
  private readonly pendingEvents = new Map<string, { line: number; org: string }[]>();
  private batch: { line: number; rows: OrderRows }[] = [];
  private batchIds = new Set<string>();

  constructor(private readonly repo: ImportRepository) {}

  get failed(): boolean {
    return this.problems.length > 0;
  }

  private problem(line: number, message: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, message });
  }

  private async partnerKnown(id: string): Promise<boolean> {
    let known = this.partners.get(id);
    if (known === undefined) {
      known = (await this.repo.existingPartners([id])).has(id);
      this.partners.set(id, known);
    }
    return known;
  }

  private async orgOfEvent(id: string): Promise<string | null> {
    let org = this.eventOrg.get(id);
    if (org === undefined) {
      org = (await this.repo.eventOrgs([id])).get(id) ?? null;
      this.eventOrg.set(id, org);
    }
    return org;
  }

  private async requirePartner(id: string, line: number, what: string): Promise<void> {
    if (!(await this.partnerKnown(id)) && !this.pendingPartners.has(id)) this.pendingPartners.set(id, { line, what });
  }

  async addLine(text: string, line: number): Promise<void> {
    if (text.trim() === '') return;
    const result = validateLine(text);
    if ('problems' in result) {
      for (const message of result.problems) this.problem(line, message);
      return;
    }
    await this.addItem(result.item, line);
  }

  async addItem(item: ImportItem, line: number): Promise<void> {
    switch (item.kind) {
      case 'partner': {
        const partner = item.value;
        this.partners.set(partner.id, true);
        this.pendingPartners.delete(partner.id);
        if (!this.failed) await this.repo.upsertPartner(PartnerMapper.toRow(partner));
        this.summary.partners++;
        return;
      }
      case 'event': {
        const event = item.value;
        const known = await this.orgOfEvent(event.id);
        if (known !== null && known !== event.org) {
          this.problem(line, `event ${event.id} already belongs to organiser ${known}; an event's org cannot change`);
          return;
        }
        await this.requirePartner(event.org, line, `event.org ${event.org}`);
        this.eventOrg.set(event.id, event.org);
        for (const waiting of this.pendingEvents.get(event.id) ?? []) {
          if (waiting.org !== event.org) {
            this.problem(waiting.line, `order.org ${waiting.org} must be the organiser of its event (${event.org})`);
          }
        }
        this.pendingEvents.delete(event.id);
        if (!this.failed) await this.repo.upsertEvent(EventMapper.toRow(event));
        this.summary.events++;
        return;
      }
      case 'order': {
        const order = item.value;
        const org = await this.orgOfEvent(order.event);
        if (org === null) {
          const waiting = this.pendingEvents.get(order.event) ?? [];
          waiting.push({ line, org: order.org });
          this.pendingEvents.set(order.event, waiting);
        } else if (org !== order.org) {
          this.problem(line, `order.org ${order.org} must be the organiser of its event (${org})`);
          return;
        }
        if (order.vendor !== null) await this.requirePartner(order.vendor, line, `order.vendor ${order.vendor}`);
        if (this.batchIds.has(order.id)) await this.flush();
        this.batch.push({ line, rows: OrderMapper.toRows(order) });
        this.batchIds.add(order.id);
        this.summary.orders++;
        this.summary.tickets += order.tickets.length;
        if (this.batch.length >= BATCH) await this.flush();
        return;
      }
    }
  }

  /** Checks uniqueness of order numbers and ticket ids against the database, then writes the batch. */
  async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.batchIds = new Set();
    if (batch.length === 0) return;
    const numbers = new Map<number, { id: string; line: number }>();
    const tickets = new Map<string, { id: string; line: number }>();
    for (const { line, rows } of batch) {
      const n = rows.order.number;
      const other = numbers.get(n);
      if (other && other.id !== rows.order.id) this.problem(line, `order.number ${n} is already used by order ${other.id} (line ${other.line})`);
      numbers.set(n, { id: rows.order.id, line });
      for (const t of rows.tickets) {
        const owner = tickets.get(t.id);
        if (owner && owner.id !== rows.order.id) this.problem(line, `ticket ${t.id} already belongs to order ${owner.id} (line ${owner.line})`);
        tickets.set(t.id, { id: rows.order.id, line });
      }
    }
    for (const [n, owner] of await this.repo.numberOwners([...numbers.keys()])) {
      const mine = numbers.get(n)!;
      if (owner !== mine.id) this.problem(mine.line, `order.number ${n} is already used by order ${owner}`);
    }
    for (const [ticketId, owner] of await this.repo.ticketOwners([...tickets.keys()])) {
      const mine = tickets.get(ticketId)!;
      if (owner !== mine.id) this.problem(mine.line, `ticket ${ticketId} already belongs to order ${owner}`);
    }
    if (!this.failed) await this.repo.writeOrders(batch.map((b) => b.rows));
  }

  async finish(): Promise<void> {
    await this.flush();
    if (!this.failed) await this.repo.writeCounts();
    for (const [id, waiting] of this.pendingEvents) {
      for (const w of waiting) this.problem(w.line, `order.event ${id} does not exist (neither in this file nor in the database)`);
    }
    for (const [, p] of this.pendingPartners) this.problem(p.line, `${p.what} does not exist (neither in this file nor in the database)`);
    this.problems.sort((a, b) => a.line - b.line);
  }
}

export type LineSource = AsyncIterable<string> | Iterable<string>;

/**
 * An import of at least this many orders is followed, on PostgreSQL, by a
 * VACUUM (ANALYZE) of the tables it wrote (ImportRepository.vacuumAnalyze):
 * until autovacuum gets to them, a big import leaves PostgreSQL planning
 * the list with the statistics of the tables as they were, and the new
 * rows' pages not marked all-visible (docs/DECISIONS.md).
 */
export const VACUUM_ANALYZE_FROM = 1000;

/** One import: `feed` adds its input to the importer, all in one transaction; throws ImportFailed (and writes nothing) when any of it is bad. */
async function importing(db: Db, feed: (importer: Importer) => Promise<void>): Promise<ImportSummary> {
  const summary = await db.kysely.transaction().execute(async (trx) => {
    const importer = new Importer(new ImportRepository(trx, db.dialect));
    await feed(importer);
    await importer.finish();
    if (importer.failed) throw new ImportFailed(importer.problems);
    return importer.summary;
  });
  // after the commit: VACUUM cannot run in a transaction, and both see committed rows only
  if (summary.orders >= VACUUM_ANALYZE_FROM) await new ImportRepository(db.kysely, db.dialect).vacuumAnalyze();
  return summary;
}

/** Imports NDJSON lines in one transaction; throws ImportFailed (and writes nothing) when any line is bad. */
export function importLines(db: Db, lines: LineSource, onProgress?: (lines: number) => void): Promise<ImportSummary> {
  return importing(db, async (importer) => {
    let n = 0;
    for await (const text of lines) {
      n++;
      await importer.addLine(text, n);
      if (onProgress && n % 10_000 === 0) onProgress(n);
      if (importer.problems.length >= MAX_PROBLEMS) break;
    }
  });
}

/** The same write path for generated (already valid) objects, e.g. `kassa seed`. */
export function importItems(
  db: Db,
  items: AsyncIterable<ImportItem> | Iterable<ImportItem>,
  onProgress?: (items: number) => void,
): Promise<ImportSummary> {
  return importing(db, async (importer) => {
    let n = 0;
    for await (const item of items) {
      n++;
      await importer.addItem(item, n);
      if (onProgress && n % 5_000 === 0) onProgress(n);
      if (importer.failed) break;
    }
  });
}
