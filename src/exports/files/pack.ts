/**
 * Zip files written as streams: the xlsx (itself a zip) and the csv download
 * package. Each entry is deflated (zlib, in libuv's thread pool) while it is
 * written, so memory stays flat and compressing costs the writer little wall
 * time; zipping finished files afterwards added about one COPY's worth of time
 * to a 1M-order export (docs/BENCHMARKS.md).
 *
 * Written here rather than by archiver (used before) because an entry can also
 * come already deflated, from a file written elsewhere (`Deflated`, made by
 * `DeflateFile`): the xlsx's tickets sheet is built and deflated in a thread
 * of its own while this thread writes the orders sheet, and joined to the zip
 * afterwards (docs/DECISIONS.md). The CRC-32 is zlib's native one.
 *
 * Format (PKWARE APPNOTE 6.3): every entry has a local header with bit 3 set
 * (sizes and CRC follow the data in a data descriptor, as they are known only
 * then), UTF-8 names (bit 11), deflate. Zip64 where a value does not fit in 32
 * bits: the data descriptor holds 8-byte sizes when a size reaches 4 GiB, the
 * central directory gets the zip64 extra field for that entry's large values,
 * and a zip64 end of central directory is written when the directory's offset
 * or size, or the entry count, does not fit. Small zips are plain zip 2.0.
 * As in Go's archive/zip, a local header cannot say in advance that its entry
 * will pass 4 GiB: readers of such an entry go by the central directory (as
 * Excel, Info-ZIP, 7-Zip and LibreOffice do), not by local headers alone.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { FileSink, waitDrain } from './streams.js';

export const ZIP_CONTENT_TYPE = 'application/zip';

/**
 * zlib level of every zip written here: 1 deflates ~2.4× faster than zlib's
 * default 6, and the files come out about a quarter bigger (1M-order xlsx:
 * 437 MB instead of 343 MB, 30 s instead of 41 s; docs/DECISIONS.md). The
 * deflate runs beside the writer, so its speed is the export's.
 */
const LEVEL = 1;
/** Bytes per deflate output chunk: 16 KiB (zlib's default) meant a callback on this thread per 16 KiB. */
const CHUNK = 256 * 1024;
// Deflate's input buffer (zlib passes stream options on): with the default
// 16 KiB the writer waited on deflate at every batch; 4 MiB held ~35 MB more
// of buffers (written, deflated, not yet collected) for no more speed than
// 256 KiB (DECISIONS.md).
const DEFLATE_OPTIONS: zlib.ZlibOptions & { writableHighWaterMark: number } = {
  level: LEVEL,
  chunkSize: CHUNK,
  writableHighWaterMark: 256 * 1024,
};

const U32 = 0xffff_ffff;
const U16 = 0xffff;
const FLAGS = 0x0008 | 0x0800; // data descriptor follows the data; UTF-8 name
const DEFLATE = 8;
const VERSION = 20; // 2.0: deflate
const VERSION_ZIP64 = 45;

/** An entry's data, deflated, with what the zip records about it. */
export interface Deflated {
  crc: number;
  /** bytes before deflate */
  size: number;
  /** bytes of the deflated data */
  compressedSize: number;
}

/** A deflated entry kept in a file of its own, to be joined to a zip (ZipWriter.add). */
export interface DeflatedFile extends Deflated {
  path: string;
}

export interface ZipEntry {
  /** Appends to the entry, waiting while the zip is behind. */
  write(chunk: string | Buffer): Promise<void>;
  /** Ends the entry (all its data handed on); the next one may start. */
  end(): Promise<void>;
}

/**
 * Raw deflate of one entry's bytes into `out`, which it does not end, keeping
 * the CRC-32 and both sizes. Back-pressure: write() waits while deflate's
 * input buffer is full; deflate waits (pipe) while `out` is behind.
 */
class Deflating {
  private readonly deflate = zlib.createDeflateRaw(DEFLATE_OPTIONS);
  private crc = 0;
  private size = 0;
  private compressedSize = 0;

  constructor(private readonly out: FileSink) {
    this.deflate.on('data', (chunk: Buffer) => {
      this.compressedSize += chunk.length;
    });
    this.deflate.on('error', (err) => out.fail(err));
    this.deflate.pipe(out.stream, { end: false });
  }

  async write(chunk: string | Buffer): Promise<void> {
    this.out.check();
    // encoded once, for both the CRC and deflate
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.crc = zlib.crc32(bytes, this.crc);
    this.size += bytes.length;
    if (!this.deflate.write(bytes)) await this.out.race(waitDrain(this.deflate));
  }

  /** Flushes deflate; resolves once its last bytes are handed to `out`. */
  async end(): Promise<Deflated> {
    const ended = once(this.deflate, 'end');
    this.deflate.end();
    await this.out.race(ended);
    return { crc: this.crc, size: this.size, compressedSize: this.compressedSize };
  }

  destroy(): void {
    this.deflate.destroy();
  }
}

/** One entry's data deflated into a file of its own (see ZipWriter.add). */
export class DeflateFile implements ZipEntry {
  private readonly sink: FileSink;
  private readonly deflating: Deflating;
  private result: DeflatedFile | null = null;

  constructor(readonly path: string) {
    this.sink = new FileSink(path);
    this.deflating = new Deflating(this.sink);
  }

  write(chunk: string | Buffer): Promise<void> {
    return this.deflating.write(chunk);
  }

  async end(): Promise<void> {
    const deflated = await this.deflating.end();
    await this.sink.close();
    this.result = { ...deflated, path: this.path };
  }

  /** What end() produced. */
  get deflated(): DeflatedFile {
    if (!this.result) throw new Error(`${this.path} is not ended`);
    return this.result;
  }

  /** Abandons the file: removes it. Never throws. */
  async discard(): Promise<void> {
    this.deflating.destroy();
    await this.sink.discard();
  }
}

interface CentralEntry extends Deflated {
  name: Buffer;
  offset: number;
}

/** MS-DOS date and time (2-second steps, from 1980), as zip headers hold them. */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** A zip file written entry after entry as a stream, with back-pressure. */
export class ZipWriter {
  private readonly sink: FileSink;
  private readonly stamp = dosDateTime(new Date());
  private readonly entries: CentralEntry[] = [];
  private offset = 0;
  private open = false;
  /** the entry being deflated, stopped on discard */
  private current: Deflating | null = null;

  /**
   * `wide`: values from which zip64 fields are written, 2^32 − 1 as the
   * format says; lowered in tests to check the zip64 records on small files.
   */
  constructor(
    readonly path: string,
    private readonly wide = U32,
  ) {
    this.sink = new FileSink(path);
  }

  /** Bytes of the zip's own structure, counted in the offsets; the sink buffers them (a few dozen bytes each). */
  private put(bytes: Buffer): void {
    this.sink.check();
    this.sink.stream.write(bytes);
    this.offset += bytes.length;
  }

  private begin(name: string): Buffer {
    if (this.open) throw new Error('the previous zip entry is not ended');
    this.open = true;
    const encoded = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(this.stamp.time, 10);
    header.writeUInt16LE(this.stamp.date, 12);
    // CRC and sizes (14..25) stay 0: the data descriptor holds them
    header.writeUInt16LE(encoded.length, 26);
    this.put(Buffer.concat([header, encoded]));
    return encoded;
  }

  /** The data descriptor after an entry's data, and its record for the central directory. */
  private finishEntry(name: Buffer, offset: number, d: Deflated): void {
    this.offset += d.compressedSize;
    const wide = d.size >= this.wide || d.compressedSize >= this.wide;
    const descriptor = Buffer.alloc(wide ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(d.crc, 4);
    if (wide) {
      descriptor.writeBigUInt64LE(BigInt(d.compressedSize), 8);
      descriptor.writeBigUInt64LE(BigInt(d.size), 16);
    } else {
      descriptor.writeUInt32LE(d.compressedSize, 8);
      descriptor.writeUInt32LE(d.size, 12);
    }
    this.put(descriptor);
    this.entries.push({ ...d, name, offset });
    this.open = false;
    this.current = null;
  }

  /** Starts an entry whose data is deflated as it is written. End one before starting the next. */
  entry(name: string): ZipEntry {
    const offset = this.offset;
    const encoded = this.begin(name);
    const deflating = new Deflating(this.sink);
    this.current = deflating;
    return {
      write: (chunk) => deflating.write(chunk),
      end: async () => this.finishEntry(encoded, offset, await deflating.end()),
    };
  }

  /** Adds an entry deflated elsewhere: copies its file's bytes in. */
  async add(name: string, file: DeflatedFile): Promise<void> {
    const offset = this.offset;
    const encoded = this.begin(name);
    let copied = 0;
    for await (const chunk of createReadStream(file.path, { highWaterMark: 1024 * 1024 })) {
      copied += (chunk as Buffer).length;
      await this.sink.write(chunk as Buffer);
    }
    if (copied !== file.compressedSize) throw new Error(`${file.path}: ${copied} bytes, expected ${file.compressedSize}`);
    this.finishEntry(encoded, offset, file);
  }

  private centralDirectory(): Buffer[] {
    return this.entries.map((e) => {
      // zip64 extra field: only the values that do not fit, in this order
      const wide = [e.size, e.compressedSize, e.offset].filter((v) => v >= this.wide);
      const extra = Buffer.alloc(wide.length ? 4 + 8 * wide.length : 0);
      if (wide.length) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(8 * wide.length, 2);
        wide.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
      }
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      // made by: a Unix host (readers then take names as given, with bit 11
      // as UTF-8; an MS-DOS host makes Info-ZIP convert local names from a
      // DOS code page), APPNOTE 4.5; a plain file, rw-r--r--
      header.writeUInt16LE((3 << 8) | VERSION_ZIP64, 4);
      header.writeUInt16LE(wide.length ? VERSION_ZIP64 : VERSION, 6);
      header.writeUInt16LE(FLAGS, 8);
      header.writeUInt16LE(DEFLATE, 10);
      header.writeUInt16LE(this.stamp.time, 12);
      header.writeUInt16LE(this.stamp.date, 14);
      header.writeUInt32LE(e.crc, 16);
      header.writeUInt32LE(e.compressedSize >= this.wide ? U32 : e.compressedSize, 20);
      header.writeUInt32LE(e.size >= this.wide ? U32 : e.size, 24);
      header.writeUInt16LE(e.name.length, 28);
      header.writeUInt16LE(extra.length, 30);
      // comment length, disk number, internal attributes: 0
      header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      header.writeUInt32LE(e.offset >= this.wide ? U32 : e.offset, 42);
      return Buffer.concat([header, e.name, extra]);
    });
  }

  /** Writes the central directory and closes the file; returns its size. */
  async finish(): Promise<number> {
    if (this.open) throw new Error('the last zip entry is not ended');
    const start = this.offset;
    const directory = Buffer.concat(this.centralDirectory());
    this.put(directory);
    const count = this.entries.length;
    const wide = count >= U16 || start >= this.wide || directory.length >= this.wide;
    if (wide) {
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4); // size of the rest of this record
      record.writeUInt16LE(VERSION_ZIP64, 12);
      record.writeUInt16LE(VERSION_ZIP64, 14);
      // this disk, the directory's disk: 0
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(directory.length), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(this.offset), 8);
      locator.writeUInt32LE(1, 16); // disks in all
      this.put(Buffer.concat([record, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(wide ? U16 : count, 8);
    end.writeUInt16LE(wide ? U16 : count, 10);
    end.writeUInt32LE(wide ? U32 : directory.length, 12);
    end.writeUInt32LE(wide ? U32 : start, 16);
    this.put(end);
    return this.sink.close();
  }

  /** Abandons the zip: removes the file. Never throws. */
  async discard(): Promise<void> {
    this.current?.destroy();
    await this.sink.discard();
  }
}
