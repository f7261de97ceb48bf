import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { written } from '../../test/support/json-bytes.js';
import { ascii } from './bytes.js';
import { JsonBytes } from './json.js';
import { formatMoney } from './money.js';
import { formatTimestamp, MAX_SECONDS, MIN_SECONDS } from './time.js';

describe('JsonBytes: JSON written as UTF-8 bytes', () => {
  it('writes a string as JSON.stringify does: any code unit, lone surrogate halves and control characters included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary-ascii', maxLength: 5 }), (s, t) => {
        expect(written((w) => w.string(s))).toBe(JSON.stringify(s));
        expect(written((w) => w.string(t + s + t))).toBe(JSON.stringify(t + s + t));
      }),
      { numRuns: 2000 },
    );
    const tricky = 'a"b\\c\n\r\t\b\f\u0000\u001f\u007f\u2028\ud800x\udfff\ud83d\ude00 «ё» 🎟️';
    expect(written((w) => w.string(tricky))).toBe(JSON.stringify(tricky));
    expect(written((w) => w.string(''))).toBe('""');
    // a surrogate pair cut by the end of the string
    expect(written((w) => w.string('x\ud83d'))).toBe(JSON.stringify('x\ud83d'));
    expect(written((w) => w.stringOrNull(null))).toBe('null');
  });

  it('writes integers, money, timestamps and booleans as JSON.stringify, formatMoney and formatTimestamp do', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, -(2 ** 31))),
        fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -(10 ** 15), max: 10 ** 15 })),
        fc.integer({ min: MIN_SECONDS, max: MAX_SECONDS }),
        (n, minor, seconds) => {
          expect(written((w) => w.number(n))).toBe(JSON.stringify(n));
          expect(written((w) => w.money(minor))).toBe(JSON.stringify(formatMoney(minor)));
          expect(written((w) => w.timestamp(seconds))).toBe(JSON.stringify(formatTimestamp(seconds)));
        },
      ),
      { numRuns: 2000 },
    );
    expect(written((w) => w.money(-0))).toBe('"0.00"');
    expect(written((w) => w.money(-5))).toBe('"-0.05"');
    expect(written((w) => w.timestamp(MIN_SECONDS))).toBe('"0000-01-01 00:00:00"');
    expect(written((w) => w.timestamp(MAX_SECONDS))).toBe('"9999-12-31 23:59:59"');
    expect(written((w) => w.timestampOrNull(null))).toBe('null');
    expect(written((w) => w.timestampOrNull(0))).toBe('"1970-01-01 00:00:00"');
    // never stored, but written as formatTimestamp writes it rather than wrongly
    expect(written((w) => w.timestamp(MAX_SECONDS + 1))).toBe(JSON.stringify(formatTimestamp(MAX_SECONDS + 1)));
    expect(written((w) => (w.boolean(true), w.byte(0x2c), w.boolean(false)))).toBe('true,false');
  });

  it('copies JSON text as it is, and bytes from another writer', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 6 }), (values) => {
        const texts = values.map((v) => JSON.stringify(v));
        expect(written((w) => texts.forEach((t) => w.json(t)))).toBe(texts.join(''));
        const ahead = new JsonBytes(1);
        const ends = texts.map((t) => (ahead.json(t), ahead.length));
        // in reverse order: each copy is exactly its own range
        expect(written((w) => ends.map((end, i) => [i === 0 ? 0 : ends[i - 1]!, end] as const).reverse().forEach(([s, e]) => w.copy(ahead, s, e)))).toBe(
          [...texts].reverse().join(''),
        );
      }),
      { numRuns: 500 },
    );
    expect(written((w) => w.json('{"sector":"Амфитеатр","x":"😀"}'))).toBe('{"sector":"Амфитеатр","x":"😀"}');
  });

  it('takes only printable ASCII as constant bytes', () => {
    expect(written((w) => w.raw(ascii('{"id":')))).toBe('{"id":');
    expect(() => ascii('ё')).toThrow();
    expect(() => ascii('\n')).toThrow();
  });
});
