/** Small stream helpers for the file writers: a file sink with error capture and back-pressure. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import type { EventEmitter } from 'node:events';

/** Resolves on the emitter's 'drain'; rejects on 'error' or when it closes first. */
export function waitDrain(emitter: EventEmitter): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      emitter.off('drain', onDrain);
      emitter.off('error', onError);
      emitter.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onClose = () => {
      cleanup();
      reject(new Error('stream closed while waiting for drain'));
    };
    emitter.on('drain', onDrain);
    emitter.on('error', onError);
    emitter.on('close', onClose);
  });
}

/**
 * A file being written. Errors of the underlying stream are kept (so that an
 * 'error' event never goes unhandled) and rethrown from `check()`, `drain()`
 * and `close()`.
 */
export class FileSink {
  readonly stream: WriteStream;
  /** Rejects with the first error of the file (or one reported with `fail`); never settles otherwise. */
  readonly failed: Promise<never>;
  private error: Error | null = null;
  private rejectFailed: (err: Error) => void = () => undefined;
  private readonly closed: Promise<void>;

  constructor(readonly path: string) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined); // observed through check()/race(), never unhandled
    this.stream = createWriteStream(path);
    this.stream.on('error', (err) => this.fail(err));
    this.closed = new Promise((resolve) => this.stream.once('close', () => resolve()));
  }

  /** Records an error of a stream that feeds this file (e.g. the zip producer). */
  fail(err: unknown): void {
    if (this.error) return;
    this.error = err instanceof Error ? err : new Error(String(err));
    this.rejectFailed(this.error);
  }

  check(): void {
    if (this.error) throw this.error;
  }

  /** Waits for a promise, giving up as soon as the file fails (a failed file never drains). */
  async race<T>(promise: Promise<T>): Promise<T> {
    this.check();
    return Promise.race([promise, this.failed]);
  }

  /** Waits for the file stream to drain when its buffer is full. */
  async drain(): Promise<void> {
    this.check();
    if (this.stream.writableNeedDrain) await this.race(waitDrain(this.stream));
  }

  /** Writes a chunk and waits for 'drain' when the stream asks for it. */
  async write(chunk: string | Buffer): Promise<void> {
    this.check();
    if (!this.stream.write(chunk)) await this.race(waitDrain(this.stream));
  }

  /** Ends the file (unless a pipe ends it: `end = false`), waits until it is closed, returns its size. */
  async close(end = true): Promise<number> {
    if (end) this.stream.end();
    await this.closed;
    this.check();
    return (await stat(this.path)).size;
  }

  /** Abandons a partly written file: closes it and removes it. Never throws. */
  async discard(): Promise<void> {
    // a write still waiting for 'drain' would wait forever on a destroyed stream
    this.fail(new Error('the file was discarded'));
    this.stream.destroy();
    await this.closed;
    await unlink(this.path).catch(() => undefined);
  }
}
