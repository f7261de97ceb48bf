/**
 * Pre-aggregated order counts (table `order_counts`): why and how.
 *
 * The list answers `pagination.total` exactly. Counting a big tenant's rows
 * one by one (COUNT(*) over 450k index entries) costs ~100 ms and was the
 * floor of most list queries. Instead the writes keep, per partner, the
 * number of visible orders per (event, calendar month UTC, status,
 * has_customer), plus a roll-up over all events (event_id = ALL_EVENTS) so
 * that queries without an event filter read a few rows per month.
 *
 * A count then sums the buckets of the months lying wholly inside the
 * created_at range and counts only the partial months at its edges exactly,
 * from the list index. This module holds the arithmetic (no SQL): the month
 * split of a range and the bucket deltas of a write.
 */

import type { OrderCountTable } from '../db/types.js';

/** event_id of the roll-up rows: every event of the partner. */
export const ALL_EVENTS = '';

/** Start (seconds, UTC) of the calendar month holding `seconds`, shifted by `months`. */
function monthAt(seconds: number, months: number): number {
  const d = new Date(seconds * 1000);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const start = new Date(0);
  start.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
  return start.getTime() / 1000;
}

/** Start (seconds, UTC) of the calendar month holding `seconds`. */
export function monthStart(seconds: number): number {
  return monthAt(seconds, 0);
}

/** Start (seconds, UTC) of the calendar month after the one holding `seconds`. */
export function nextMonthStart(seconds: number): number {
  return monthAt(seconds, 1);
}

/** A half-open range of seconds [from, to); an undefined end is open. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

export interface CountPlan {
  /** bucket months to sum: month >= from and month < to; null when no month lies wholly inside */
  readonly months: TimeRange | null;
  /** ranges to count exactly from the index (the partial months at the edges) */
  readonly exact: readonly TimeRange[];
}

/** Splits a created_at range [from, to) into whole months and the partial edges. */
export function planCount(from: number | undefined, to: number | undefined): CountPlan {
  const firstWhole = from === undefined ? undefined : from === monthStart(from) ? from : nextMonthStart(from);
  const endWhole = to === undefined ? undefined : monthStart(to);
  if (firstWhole !== undefined && endWhole !== undefined && firstWhole >= endWhole) {
    // no whole month inside: the range spans less than two months, count it all
    return { months: null, exact: [{ from, to }] };
  }
  const exact: TimeRange[] = [];
  if (from !== undefined && firstWhole !== undefined && from < firstWhole) exact.push({ from, to: firstWhole });
  if (to !== undefined && endWhole !== undefined && endWhole < to) exact.push({ from: endWhole, to });
  return { months: { from: firstWhole, to: endWhole }, exact };
}

/** The columns of an access row that place it in a bucket. */
export interface BucketSource {
  readonly partner_id: string;
  readonly created_at: number;
  readonly status: string;
  readonly event_id: string;
  readonly has_customer: number;
}

/** A change to one row of order_counts (n may be negative). */
export type BucketDelta = OrderCountTable;

/**
 * Bucket deltas summed over many writes. An import applies them once, at its
 * end: one transaction updating the same roll-up row after every batch would
 * leave a chain of row versions that each later update walks (PostgreSQL),
 * which made a one-organiser seed of 1M orders crawl.
 */
export class BucketTally {
  private deltas = new Map<string, BucketDelta>();

  /** Distinct buckets held. */
  get size(): number {
    return this.deltas.size;
  }

  /** Records that `removed` access rows are replaced by `added` ones: each row counts in its event's bucket and in the roll-up. */
  add(removed: readonly BucketSource[], added: readonly BucketSource[]): void {
    for (const r of removed) this.count(r, -1);
    for (const r of added) this.count(r, +1);
  }

  /** The non-zero deltas so far; the tally starts over. */
  take(): BucketDelta[] {
    const out = [...this.deltas.values()].filter((d) => d.n !== 0);
    this.deltas = new Map();
    return out;
  }

  private count(row: BucketSource, by: number): void {
    const month = monthStart(Number(row.created_at));
    for (const event_id of [row.event_id, ALL_EVENTS]) {
      const key = `${row.partner_id}\u0000${event_id}\u0000${month}\u0000${row.status}\u0000${row.has_customer}`;
      const d = this.deltas.get(key);
      if (d) d.n += by;
      else this.deltas.set(key, { partner_id: row.partner_id, event_id, month, status: row.status, has_customer: Number(row.has_customer), n: by });
    }
  }
}
