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

export interface BucketDelta {
  partner_id: string;
  event_id: string;
  month: number;
  status: string;
  has_customer: number;
  n: number;
}

/**
 * The change to the buckets when `removed` access rows are replaced by
 * `added` ones: each row counts in its event's bucket and in the roll-up.
 * Buckets whose change nets to zero are left out.
 */
export function bucketDeltas(removed: readonly BucketSource[], added: readonly BucketSource[]): BucketDelta[] {
  const deltas = new Map<string, BucketDelta>();
  const add = (row: BucketSource, by: number) => {
    const month = monthStart(Number(row.created_at));
    for (const event_id of [row.event_id, ALL_EVENTS]) {
      const key = `${row.partner_id}\u0000${event_id}\u0000${month}\u0000${row.status}\u0000${row.has_customer}`;
      const d = deltas.get(key);
      if (d) d.n += by;
      else deltas.set(key, { partner_id: row.partner_id, event_id, month, status: row.status, has_customer: Number(row.has_customer), n: by });
    }
  };
  for (const r of removed) add(r, -1);
  for (const r of added) add(r, +1);
  return [...deltas.values()].filter((d) => d.n !== 0);
}
