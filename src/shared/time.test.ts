import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, MAX_SECONDS, MIN_SECONDS, parseTimestamp } from './time.js';

describe('timestamps', () => {
  it('parse the API form and ISO 8601 with an offset, and write back the API form in UTC', () => {
    expect(parseTimestamp('2019-07-25 14:56:16')).toBe(1_564_066_576);
    expect(parseTimestamp('2019-07-25T17:56:16+03:00')).toBe(1_564_066_576);
    expect(formatTimestamp(1_564_066_576)).toBe('2019-07-25 14:56:16');
  });

  it('accept the years 0000 to 9999 in UTC and nothing an offset carries beyond them', () => {
    expect(parseTimestamp('0000-01-01 00:00:00')).toBe(MIN_SECONDS);
    expect(parseTimestamp('9999-12-31 23:59:59')).toBe(MAX_SECONDS);
    expect(formatTimestamp(MIN_SECONDS)).toBe('0000-01-01 00:00:00');
    expect(formatTimestamp(MAX_SECONDS)).toBe('9999-12-31 23:59:59');
    expect(parseTimestamp('0000-01-01T00:00:00+01:00')).toBeUndefined();
    expect(parseTimestamp('9999-12-31T23:59:59-00:01')).toBeUndefined();
    expect(parseTimestamp('0000-01-01T00:59:59+01:00')).toBeUndefined();
    expect(parseTimestamp('0000-01-01T01:00:00+01:00')).toBe(MIN_SECONDS);
  });

  it('write the same UTC fields as Date, whatever the second (leap days, centuries, year 0, negative times)', () => {
    const viaDate = (seconds: number) => {
      const d = new Date(seconds * 1000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${String(d.getUTCFullYear()).padStart(4, '0')}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
    };
    fc.assert(
      fc.property(fc.integer({ min: MIN_SECONDS, max: MAX_SECONDS }), (seconds) => {
        expect(formatTimestamp(seconds)).toBe(viaDate(seconds));
      }),
      { numRuns: 2000 },
    );
    // the edges of days, months, leap days and centuries
    for (const at of ['1900-02-28 23:59:59', '1900-03-01 00:00:00', '2000-02-29 23:59:59', '2000-03-01 00:00:00', '1969-12-31 23:59:59', '1970-01-01 00:00:00', '0000-02-29 12:00:00', '2024-12-31 23:59:59']) {
      expect(formatTimestamp(parseTimestamp(at)!)).toBe(at);
      expect(viaDate(parseTimestamp(at)!)).toBe(at);
    }
  });
});
