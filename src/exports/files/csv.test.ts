import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { CsvLineEnds, csvRecord, writeCsvRecords } from './csv.js';

// The options the csv writer used with csv-stringify before it quoted fields
// itself: the reference this writer must agree with.
const REFERENCE = { delimiter: ',', quote: '"', escape: '"', record_delimiter: '\r\n', quote_record_delimiter: true, eof: true } as const;

function fieldArb() {
  const tricky = fc.constantFrom('', ',', '"', '\r', '\n', '\r\n', ' ', "'", ';', '\t', 'Ёлка 🎄', '""', 'a"b', '=1+1');
  return fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.array(tricky, { maxLength: 4 }).map((p) => p.join('')));
}

describe('csvRecord', () => {
  it('writes what csv-stringify writes, for any fields', () => {
    fc.assert(
      fc.property(fc.array(fieldArb(), { minLength: 1, maxLength: 8 }), (fields) => {
        expect(csvRecord(fields)).toBe(stringify([fields], REFERENCE));
      }),
      { numRuns: 3000 },
    );
  });

  it('quotes only what needs it', () => {
    expect(csvRecord(['plain', 'a,b', 'say "hi"', 'two\nlines', ''])).toBe('plain,"a,b","say ""hi""","two\nlines",\r\n');
  });
});

/** Bytes cut at the given points (taken modulo the length, sorted, deduplicated). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

describe('CsvLineEnds (records the database wrote with LF)', () => {
  it('ends each record with CRLF, keeps line breaks inside fields and counts records, however the bytes are cut', () => {
    const records = fc.array(fc.array(fieldArb(), { minLength: 1, maxLength: 6 }), { maxLength: 12 });
    fc.assert(
      fc.property(records, fc.array(fc.nat(), { maxLength: 8 }), (rows, points) => {
        const crlf = rows.map((r) => csvRecord(r)).join('');
        // what COPY … CSV writes: the same quoting, LF after each record
        const lf = rows.map((r) => `${csvRecord(r).slice(0, -2)}\n`).join('');
        const ends = new CsvLineEnds();
        const out = Buffer.concat(cut(Buffer.from(lf), points).map((c) => ends.convert(c)));
        expect(out.toString()).toBe(crlf);
        expect(ends.records).toBe(rows.length);
        expect(ends.complete).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('knows when the text stops inside a quoted field', () => {
    const ends = new CsvLineEnds();
    expect(ends.convert(Buffer.from('a,"b\nc')).toString()).toBe('a,"b\nc');
    expect(ends.complete).toBe(false);
    expect(ends.records).toBe(0);
    expect(ends.convert(Buffer.from('",d\n')).toString()).toBe('",d\r\n');
    expect(ends.complete).toBe(true);
    expect(ends.records).toBe(1);
  });
});

describe('writeCsvRecords', () => {
  async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
    for (const p of parts) yield Buffer.from(p);
  }

  it('writes the BOM, the header and the records with CRLF, and counts them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kassa-csv-'));
    try {
      const path = join(dir, 'orders.csv');
      const r = await writeCsvRecords({ path, headers: ['a', 'b c', 'd,e'], records: chunks('1,"x\ny"\n2,', 'z\n'), aborted: () => false });
      const text = await readFile(path, 'utf8');
      expect(text).toBe('\uFEFFa,b c,"d,e"\r\n1,"x\ny"\r\n2,z\r\n');
      expect(r).toEqual({ count: 2, size: Buffer.byteLength(text) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails and removes the file when the records end inside a quoted field, or when aborted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kassa-csv-'));
    try {
      const path = join(dir, 'orders.csv');
      await expect(writeCsvRecords({ path, headers: ['a'], records: chunks('1\n"open'), aborted: () => false })).rejects.toThrow(/inside a quoted field/);
      expect(await readdir(dir)).toEqual([]);
      let calls = 0;
      await expect(writeCsvRecords({ path, headers: ['a'], records: chunks('1\n', '2\n', '3\n'), aborted: () => ++calls > 2 })).rejects.toThrow(
        'export aborted',
      );
      expect(calls).toBe(3);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
