/**
 * The zip offered for download when csv files are too big for the e-mail:
 * written while the csv files are, not after them. Deflate runs in libuv's
 * thread pool, so compressing alongside the writer costs the export little
 * wall time, where zipping the finished files afterwards added about one
 * COPY's worth of time to a 1M-order export (docs/BENCHMARKS.md).
 */
import { PassThrough } from 'node:stream';
import archiver from 'archiver';
import { FileSink, waitDrain } from './streams.js';

export const ZIP_CONTENT_TYPE = 'application/zip';

/**
 * zlib level of every zip written here (the csv download and the xlsx, which
 * is a zip): 1 deflates ~2.4× faster than zlib's default 6, and the files come
 * out about a quarter bigger (1M-order xlsx: 437 MB instead of 343 MB, 30 s
 * instead of 41 s; docs/DECISIONS.md). The deflate runs beside the writer,
 * so its speed is the export's.
 */
const LEVEL = 1;
/** Bytes per deflate output chunk: 16 KiB (zlib's default) meant a callback on this thread per 16 KiB. */
const CHUNK = 256 * 1024;

export interface ZipEntry {
  /** Appends to the entry, waiting while the zip is behind. */
  write(chunk: string | Buffer): Promise<void>;
  /** Ends the entry; the next one may start. */
  end(): void;
}

/** A zip file written entry after entry as a stream (archiver), with back-pressure. */
export class ZipWriter {
  private readonly sink: FileSink;
  private readonly archive: archiver.Archiver;

  constructor(readonly path: string) {
    this.sink = new FileSink(path);
    this.archive = archiver('zip', { zlib: { level: LEVEL, chunkSize: CHUNK } });
    this.archive.on('error', (err) => this.sink.fail(err));
    this.archive.on('warning', (err) => this.sink.fail(err));
    this.archive.pipe(this.sink.stream);
  }

  /** Starts an entry. Entries are zipped in order: end one before writing the next. */
  entry(name: string): ZipEntry {
    const pass = new PassThrough();
    this.archive.append(pass, { name });
    return {
      write: async (chunk) => {
        this.sink.check();
        if (!pass.write(chunk)) await this.sink.race(waitDrain(pass));
      },
      end: () => {
        pass.end();
      },
    };
  }

  /** Writes the central directory and closes the file; returns its size. */
  async finish(): Promise<number> {
    await this.sink.race(this.archive.finalize());
    return this.sink.close(false);
  }

  /** Abandons the zip: stops the archiver and removes the file. Never throws. */
  async discard(): Promise<void> {
    this.archive.abort();
    await this.sink.discard();
  }
}
