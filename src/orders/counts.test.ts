import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_EVENTS, BucketTally, monthStart, nextMonthStart, planCount, type BucketSource, type TimeRange } from './counts.js';

/** The deltas of replacing `removed` access rows by `added` ones. */
function deltas(removed: BucketSource[], added: BucketSource[]) {
  const tally = new BucketTally();
  tally.add(removed, added);
  return tally.take();
}

const at = (iso: string) => Date.parse(iso) / 1000;
const inRange = (t: number, r: TimeRange) => (r.from === undefined || t >= r.from) && (r.to === undefined || t < r.to);

describe('monthStart / nextMonthStart', () => {
  it('are calendar months in UTC', () => {
    expect(monthStart(at('2024-02-29T23:59:59Z'))).toBe(at('2024-02-01T00:00:00Z'));
    expect(monthStart(at('2024-03-01T00:00:00Z'))).toBe(at('2024-03-01T00:00:00Z'));
    expect(nextMonthStart(at('2024-12-31T12:00:00Z'))).toBe(at('2025-01-01T00:00:00Z'));
    expect(monthStart(-1)).toBe(at('1969-12-01T00:00:00Z'));
  });
  it('keep years 0-99 (Date.UTC would read them as 1900-1999)', () => {
    expect(monthStart(at('0050-02-28T23:59:59Z'))).toBe(at('0050-02-01T00:00:00Z'));
    expect(nextMonthStart(at('0099-12-15T00:00:00Z'))).toBe(at('0100-01-01T00:00:00Z'));
  });
});

describe('planCount', () => {
  // times around a few month boundaries, so that ranges start and end on them
  const boundary = fc.constantFrom(at('2024-01-01T00:00:00Z'), at('2024-02-01T00:00:00Z'), at('2024-03-01T00:00:00Z'), at('2024-05-01T00:00:00Z'));
  const time = fc.oneof(boundary, fc.tuple(boundary, fc.integer({ min: -3, max: 3 })).map(([b, d]) => b + d), fc.integer({ min: at('2023-11-01T00:00:00Z'), max: at('2024-07-01T00:00:00Z') }));

  it('whole months plus the exact edges count every time in the range once', () => {
    fc.assert(
      fc.property(fc.option(time, { nil: undefined }), fc.option(time, { nil: undefined }), fc.array(time, { maxLength: 60 }), (from, to, times) => {
        const plan = planCount(from, to);
        const expected = times.filter((t) => inRange(t, { from, to })).length;
        const fromMonths = plan.months ? times.filter((t) => inRange(monthStart(t), plan.months!)).length : 0;
        const fromExact = plan.exact.reduce((n, r) => n + times.filter((t) => inRange(t, r)).length, 0);
        expect(fromMonths + fromExact).toBe(expected);
        // the exact part never spans a whole month of the bucket part
        for (const r of plan.exact) if (plan.months && r.from !== undefined) expect(inRange(r.from, plan.months)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts nothing exactly for whole-month ranges and open ranges', () => {
    expect(planCount(undefined, undefined)).toEqual({ months: { from: undefined, to: undefined }, exact: [] });
    expect(planCount(at('2024-01-01T00:00:00Z'), at('2024-02-01T00:00:00Z'))).toEqual({
      months: { from: at('2024-01-01T00:00:00Z'), to: at('2024-02-01T00:00:00Z') },
      exact: [],
    });
  });

  it('counts a range shorter than two months wholly from the index', () => {
    const from = at('2024-01-15T00:00:00Z');
    const to = at('2024-02-10T00:00:00Z');
    expect(planCount(from, to)).toEqual({ months: null, exact: [{ from, to }] });
  });
});

describe('BucketTally', () => {
  const row = { partner_id: 'p', created_at: at('2024-02-10T10:00:00Z'), status: 'done', event_id: 'e', has_customer: 1 };

  it('counts a new row in its event bucket and in the all-events roll-up', () => {
    expect(deltas([], [row])).toEqual([
      { partner_id: 'p', event_id: 'e', month: at('2024-02-01T00:00:00Z'), status: 'done', has_customer: 1, n: 1 },
      { partner_id: 'p', event_id: ALL_EVENTS, month: at('2024-02-01T00:00:00Z'), status: 'done', has_customer: 1, n: 1 },
    ]);
  });

  it('moves a changed row between buckets and leaves unchanged ones out', () => {
    expect(deltas([row], [{ ...row, created_at: row.created_at + 60 }])).toEqual([]);
    const moved = deltas([row], [{ ...row, status: 'cancelled' }]);
    expect(moved.map((d) => [d.event_id, d.status, d.n])).toEqual([
      ['e', 'done', -1],
      [ALL_EVENTS, 'done', -1],
      ['e', 'cancelled', 1],
      [ALL_EVENTS, 'cancelled', 1],
    ]);
  });

  it('sums writes until taken, then starts over', () => {
    const tally = new BucketTally();
    tally.add([], [row]);
    tally.add([row], [{ ...row, status: 'cancelled' }]);
    expect(tally.take().map((d) => [d.event_id, d.status, d.n])).toEqual([
      ['e', 'cancelled', 1],
      [ALL_EVENTS, 'cancelled', 1],
    ]);
    expect(tally.size).toBe(0);
    expect(tally.take()).toEqual([]);
  });
});
