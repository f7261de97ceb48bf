/**
 * Reads an async source ahead of its consumer, up to `limit` items.
 *
 * Why: an export reads PostgreSQL through a cursor, one FETCH of a chunk at a
 * time. Without read-ahead the database waits while this process formats a
 * chunk, and this process waits while the database produces the next one;
 * the export then costs the sum of both. Pulling the next chunk while the
 * current one is written makes it cost about the larger of the two.
 *
 * Memory stays bounded: at most `limit` items wait in the buffer, plus the
 * batch the consumer is working through. When the consumer stops early (an
 * error, an abort) the source is closed (its cursor released) before the
 * generator returns.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('readAhead: limit must be a positive integer');
  const it = source[Symbol.asyncIterator]();
  let buffer: T[] = [];
  let exhausted = false;
  let failure: { error: unknown } | null = null;
  let stopped = false;
  // resolvers of the consumer waiting for items and of the pump waiting for room
  let itemsArrived: (() => void) | null = null;
  let roomMade: (() => void) | null = null;
  const wakeConsumer = () => {
    const resolve = itemsArrived;
    itemsArrived = null;
    resolve?.();
  };
  const wakePump = () => {
    const resolve = roomMade;
    roomMade = null;
    resolve?.();
  };

  const pump = (async () => {
    try {
      while (!stopped) {
        if (buffer.length >= limit) {
          await new Promise<void>((resolve) => (roomMade = resolve));
          continue;
        }
        const next = await it.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        buffer.push(next.value);
        wakeConsumer();
      }
    } catch (error) {
      failure = { error };
    } finally {
      stopped = true;
      wakeConsumer();
    }
  })();

  try {
    for (;;) {
      if (buffer.length > 0) {
        // take everything buffered at once; the pump refills meanwhile
        const batch = buffer;
        buffer = [];
        wakePump();
        for (const item of batch) yield item;
        continue;
      }
      if (failure) throw (failure as { error: unknown }).error;
      if (stopped) return;
      await new Promise<void>((resolve) => (itemsArrived = resolve));
    }
  } finally {
    stopped = true;
    wakePump();
    await pump;
    // the consumer left early: close the source (a cursor is released there)
    if (!exhausted && !failure) await it.return?.();
  }
}
