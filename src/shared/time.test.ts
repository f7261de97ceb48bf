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
});
