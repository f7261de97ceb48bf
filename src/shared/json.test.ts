import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flat, jsonArray, jsonBytes, jsonRecord, jsonString, jsonStringOrNull } from './json.js';

describe('JSON text helpers', () => {
  it('jsonBytes gives the UTF-8 bytes of the pieces joined, whatever the characters and cuts', () => {
    // JSON texts of arbitrary values (any code point), cut between values
    const piece = fc.jsonValue().map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        expect(jsonBytes(pieces).equals(Buffer.from(pieces.join(''), 'utf8'))).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(jsonBytes(['"😀ё"', '', '[1]']).toString('utf8')).toBe('"😀ё"[1]');
    expect(jsonBytes([]).length).toBe(0);
  });

  it('jsonArray, jsonRecord, jsonString(OrNull) write what JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.uniqueArray(fc.string({ unit: 'binary' }), { maxLength: 8 }), (values, keys) => {
        expect(jsonArray(values.map((v) => JSON.stringify(v)))).toBe(JSON.stringify(values));
        const entries = keys.map((k, i) => [k, JSON.stringify(values[i % Math.max(values.length, 1)] ?? null)] as const);
        // Object.fromEntries would move integer-like keys first; compare by parsing in order
        const parsed = JSON.parse(jsonRecord(entries)) as Record<string, unknown>;
        expect(Object.keys(parsed).sort()).toEqual([...keys].sort());
        for (const [k, v] of entries) expect(JSON.stringify(parsed[k])).toBe(JSON.stringify(JSON.parse(v)));
        for (const k of keys) expect(jsonString(k)).toBe(JSON.stringify(k));
      }),
    );
    expect(jsonStringOrNull(null)).toBe('null');
    expect(jsonRecord([['a"b', '1'], ['2', '[]']])).toBe('{"a\\"b":1,"2":[]}');
  });

  it('flat returns the same text (a rope of many pieces or an empty string)', () => {
    let rope = '';
    for (let i = 0; i < 100; i++) rope += `"k${i}":${i},`;
    const copy = rope.split('').join('');
    expect(flat(rope)).toBe(copy);
    expect(flat('')).toBe('');
  });
});
