import { inflateRawSync } from 'node:zlib';

const U32 = 0xffffffff;

export interface CentralEntry {
  name: string;
  /** 8: deflated; 0: stored */
  method: number;
  compressedSize: number;
  /** where the entry's local header starts */
  offset: number;
}

/**
 * A zip's central directory (zip64 records included): where it starts and its
 * entries, in order. Throws on a wrong signature.
 */
export function centralDirectory(buf: Buffer): { start: number; entries: CentralEntry[] } {
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('not a zip');
  let count = buf.readUInt16LE(end + 10);
  let start = buf.readUInt32LE(end + 16);
  if (count === 0xffff || start === U32) {
    // the zip64 end record, found through its locator right before the end record
    const record = Number(buf.readBigUInt64LE(end - 20 + 8));
    if (buf.readUInt32LE(record) !== 0x06064b50) throw new Error('bad zip64 end record');
    count = Number(buf.readBigUInt64LE(record + 32));
    start = Number(buf.readBigUInt64LE(record + 48));
  }
  const entries: CentralEntry[] = [];
  for (let p = start, i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    // 32-bit values, or from the zip64 extra field in the order size, compressed size, offset
    const values = [buf.readUInt32LE(p + 24), buf.readUInt32LE(p + 20), buf.readUInt32LE(p + 42)];
    let q = p + 46 + nameLength + 4;
    for (let k = 0; k < 3; k++) {
      if (values[k] === U32) {
        values[k] = Number(buf.readBigUInt64LE(q));
        q += 8;
      }
    }
    entries.push({
      name: buf.toString('utf8', p + 46, p + 46 + nameLength),
      method: buf.readUInt16LE(p + 10),
      compressedSize: values[1]!,
      offset: values[2]!,
    });
    p += 46 + nameLength + extraLength + buf.readUInt16LE(p + 32);
  }
  return { start, entries };
}

/** Where an entry's data starts: after its local header, name and extra field. */
export function dataStart(buf: Buffer, entry: CentralEntry): number {
  return entry.offset + 30 + buf.readUInt16LE(entry.offset + 26) + buf.readUInt16LE(entry.offset + 28);
}

/** A minimal zip reader (central directory + stored/deflated entries) to look inside archives. */
export function unzip(buf: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  for (const entry of centralDirectory(buf).entries) {
    const start = dataStart(buf, entry);
    const data = buf.subarray(start, start + entry.compressedSize);
    entries.set(entry.name, entry.method === 8 ? inflateRawSync(data) : Buffer.from(data));
  }
  return entries;
}
