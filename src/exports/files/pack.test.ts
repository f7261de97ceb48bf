// The zip writer, read back by an independent reader: Info-ZIP's unzip (a
// system package here; without it these tests fail, they do not skip), which checks
// every entry's CRC-32 and sizes against the central directory.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centralDirectory, dataStart } from '../../../test/support/zip.js';
import { DeflateFile, ZipWriter } from './pack.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kassa-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// a UTF-8 locale, for unzip to match UTF-8 entry names
const env = { ...process.env, LC_ALL: 'C.UTF-8' };

/** `unzip -t`: tests every entry (CRC-32, sizes); throws with unzip's output when one fails. */
function unzipTest(file: string): string {
  return execFileSync('unzip', ['-t', file], { encoding: 'utf8', env });
}

/** One entry's bytes as unzip extracts them. */
function unzipEntry(file: string, name: string): Buffer {
  return execFileSync('unzip', ['-p', file, name], { maxBuffer: 64 * 1024 * 1024, env });
}

/** Every record of the zip as `zipinfo -v` describes it. */
function zipinfo(file: string): string {
  return execFileSync('zipinfo', ['-v', file], { encoding: 'utf8', env });
}

interface Described {
  name: string;
  crc: number;
  size: number;
  compressedSize: number;
}

/**
 * The data descriptors, which unzip does not read (it goes by the central
 * directory): walks the local entries from the start of the file, each one's
 * data length taken from the central directory, and returns what each
 * descriptor says, checking that the entries follow one another without a
 * gap up to the central directory. `wide`: descriptors with 8-byte sizes.
 */
async function descriptors(file: string, wide: boolean): Promise<Described[]> {
  const buf = await readFile(file);
  const { start: directory, entries } = centralDirectory(buf);
  const out: Described[] = [];
  let p = 0;
  for (const entry of entries) {
    expect(entry.offset).toBe(p);
    expect(buf.readUInt32LE(p)).toBe(0x04034b50);
    expect(buf.readUInt16LE(p + 6) & 0x0008).toBe(0x0008);
    const nameLength = buf.readUInt16LE(p + 26);
    const name = buf.toString('utf8', p + 30, p + 30 + nameLength);
    const d = dataStart(buf, entry) + entry.compressedSize;
    expect(buf.readUInt32LE(d)).toBe(0x08074b50);
    out.push(
      wide
        ? { name, crc: buf.readUInt32LE(d + 4), compressedSize: Number(buf.readBigUInt64LE(d + 8)), size: Number(buf.readBigUInt64LE(d + 16)) }
        : { name, crc: buf.readUInt32LE(d + 4), compressedSize: buf.readUInt32LE(d + 8), size: buf.readUInt32LE(d + 12) },
    );
    p = d + (wide ? 24 : 16);
  }
  expect(p).toBe(directory);
  return out;
}

/** What each descriptor should say about the entries. */
function described(expected: Map<string, Buffer>): Omit<Described, 'compressedSize'>[] {
  return [...expected].map(([name, bytes]) => ({ name, crc: crc32(bytes), size: bytes.length }));
}

/** Text that deflates poorly and well in turns, with Cyrillic (multi-byte UTF-8). */
function text(lines: number, seed: number): string {
  let out = '';
  for (let i = 0; i < lines; i++) out += `${i},заказ ${(i * 2654435761 + seed) % 1_000_003},${'x'.repeat(i % 50)}\r\n`;
  return out;
}

/** A zip of three entries: written as a stream, joined from a deflated file, and empty. */
async function threeEntries(file: string, wide?: number): Promise<Map<string, Buffer>> {
  const first = text(20_000, 1);
  const second = text(30_000, 2);
  const pre = new DeflateFile(path.join(dir, `${path.basename(file)}.deflate`));
  // written in uneven pieces, strings and bytes
  for (let i = 0; i < second.length; i += 70_001) await pre.write(i % 2 ? second.slice(i, i + 70_001) : Buffer.from(second.slice(i, i + 70_001)));
  await pre.end();
  expect(pre.deflated.size).toBe(Buffer.byteLength(second));
  expect(pre.deflated.compressedSize).toBe((await stat(pre.path)).size);

  const zip = new ZipWriter(file, wide);
  const a = zip.entry('заказы.csv');
  for (let i = 0; i < first.length; i += 65_536) await a.write(first.slice(i, i + 65_536));
  await a.end();
  await zip.add('xl/worksheets/sheet2.xml', pre.deflated);
  const empty = zip.entry('empty.txt');
  await empty.end();
  const size = await zip.finish();
  expect(size).toBe((await stat(file)).size);
  return new Map([
    ['заказы.csv', Buffer.from(first)],
    ['xl/worksheets/sheet2.xml', Buffer.from(second)],
    ['empty.txt', Buffer.alloc(0)],
  ]);
}

describe('ZipWriter', () => {
  it('writes entries that unzip reads back byte for byte, with their CRCs: streamed, joined from a deflated file, empty', async () => {
    const file = path.join(dir, 'plain.zip');
    const expected = await threeEntries(file);
    expect(unzipTest(file)).toContain('No errors detected');
    for (const [name, bytes] of expected) expect(unzipEntry(file, name).equals(bytes)).toBe(true);
    expect(await descriptors(file, false)).toMatchObject(described(expected));
    const info = zipinfo(file);
    // small files are plain zip 2.0: no zip64 records
    expect(info).not.toMatch(/64-bit sizes/);
    expect(info).toMatch(/minimum software version required to extract:\s+2\.0/);
    expect(info).toMatch(/compression method:\s+deflated/);
    // the local names agree with the central ones (unzip warns otherwise)
    expect(unzipTest(file)).not.toMatch(/mismatching/);
  });

  it('writes zip64 records that unzip reads (sizes, offsets and the end record; forced on a small file)', async () => {
    const file = path.join(dir, 'wide.zip');
    const expected = await threeEntries(file, 0);
    const info = zipinfo(file);
    // every entry's sizes and offset in the zip64 extra field, 24 bytes
    expect(info.match(/subfield with ID 0x0001 \(PKWARE 64-bit sizes\) and 24 data bytes/g)).toHaveLength(3);
    // the end record points at the zip64 end record, 56 bytes before it
    expect(info).toMatch(/Actual end-cent-dir record offset:\s+(\d+)/);
    const [, actual] = /Actual end-cent-dir record offset:\s+(\d+)/.exec(info) as RegExpExecArray;
    expect(Number(actual)).toBe((await stat(file)).size - 22 - 20 - 56);
    expect(unzipTest(file)).toContain('No errors detected');
    for (const [name, bytes] of expected) expect(unzipEntry(file, name).equals(bytes)).toBe(true);
    expect(await descriptors(file, true)).toMatchObject(described(expected));
  });

  it('holds an entry of more than 4 GiB (zip64 sizes) between two small ones', async () => {
    const file = path.join(dir, 'big.zip');
    const zip = new ZipWriter(file);
    const head = zip.entry('head.txt');
    await head.write('before');
    await head.end();
    const big = zip.entry('big.bin');
    const chunk = Buffer.alloc(4 * 1024 * 1024, 'k');
    const chunks = Math.ceil((2 ** 32 + 12_345) / chunk.length);
    for (let i = 0; i < chunks; i++) await big.write(chunk);
    await big.end();
    const tail = zip.entry('tail.txt');
    await tail.write('after');
    await tail.end();
    await zip.finish();
    expect(unzipTest(file)).toContain('No errors detected');
    expect(zipinfo(file)).toContain(`${chunks * chunk.length} bytes`);
    expect(unzipEntry(file, 'tail.txt').toString()).toBe('after');
  }, 120_000);

  it('refuses a second entry while one is open, and a joined file of another size than it says', async () => {
    const zip = new ZipWriter(path.join(dir, 'refused.zip'));
    const a = zip.entry('a.txt');
    expect(() => zip.entry('b.txt')).toThrow(/not ended/);
    await a.end();
    const pre = new DeflateFile(path.join(dir, 'short.deflate'));
    await pre.write('some text');
    await pre.end();
    await expect(zip.add('b.txt', { ...pre.deflated, compressedSize: pre.deflated.compressedSize + 1 })).rejects.toThrow(/expected/);
    await zip.discard();
    expect(existsSync(zip.path)).toBe(false);
  });

  it('discard() removes a half-written zip and a deflated file', async () => {
    const zip = new ZipWriter(path.join(dir, 'half.zip'));
    const a = zip.entry('a.txt');
    await a.write(text(1000, 3));
    await zip.discard();
    expect(existsSync(zip.path)).toBe(false);
    const pre = new DeflateFile(path.join(dir, 'half.deflate'));
    await pre.write(text(1000, 4));
    await pre.discard();
    expect(existsSync(pre.path)).toBe(false);
  });
});
