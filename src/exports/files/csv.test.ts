import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { csvRecord } from './csv.js';

// The options the csv writer used with csv-stringify before it quoted fields
// itself: the reference this writer must agree with.
const REFERENCE = { delimiter: ',', quote: '"', escape: '"', record_delimiter: '\r\n', quote_record_delimiter: true, eof: true } as const;

describe('csvRecord', () => {
  it('writes what csv-stringify writes, for any fields', () => {
    const tricky = fc.constantFrom('', ',', '"', '\r', '\n', '\r\n', ' ', "'", ';', '\t', 'Ёлка 🎄', '""', 'a"b', '=1+1');
    const field = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.array(tricky, { maxLength: 4 }).map((p) => p.join('')));
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), (fields) => {
        expect(csvRecord(fields)).toBe(stringify([fields], REFERENCE));
      }),
      { numRuns: 3000 },
    );
  });

  it('quotes only what needs it', () => {
    expect(csvRecord(['plain', 'a,b', 'say "hi"', 'two\nlines', ''])).toBe('plain,"a,b","say ""hi""","two\nlines",\r\n');
  });
});
