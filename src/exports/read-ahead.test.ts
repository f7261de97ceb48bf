import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

/** A source that yields 0..n-1, pausing on I/O every `chunk` items, and records how far it was read. */
function source(n: number, chunk: number, failAt?: number) {
  const state = { produced: 0, closed: false, maxAhead: 0, consumed: 0 };
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        if (i % chunk === 0) await new Promise((r) => setImmediate(r));
        if (i === failAt) throw new Error(`failed at ${i}`);
        state.produced = i + 1;
        state.maxAhead = Math.max(state.maxAhead, state.produced - state.consumed);
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, iterable: gen() };
}

describe('readAhead', () => {
  it('yields every item in order and never holds more than the limit plus one batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 40 }), async (n, chunk, limit) => {
        const { state, iterable } = source(n, chunk);
        const out: number[] = [];
        for await (const x of readAhead(iterable, limit)) {
          out.push(x);
          state.consumed = out.length;
          if (out.length % 7 === 0) await new Promise((r) => setImmediate(r));
        }
        expect(out).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(state.maxAhead).toBeLessThanOrEqual(2 * limit + 1);
      }),
      { numRuns: 60 },
    );
  });

  it('reads ahead while the consumer is busy', async () => {
    const { state, iterable } = source(100, 10);
    const reader = readAhead(iterable, 50);
    await reader.next();
    state.consumed = 1;
    await new Promise((r) => setTimeout(r, 20)); // the consumer "writes a file"
    expect(state.produced).toBeGreaterThan(20);
    await reader.return(undefined);
  });

  it('passes the source error on after the items before it', async () => {
    const { iterable } = source(50, 5, 23);
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const x of readAhead(iterable, 10)) out.push(x);
      })(),
    ).rejects.toThrow('failed at 23');
    expect(out).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('closes the source when the consumer stops early', async () => {
    const { state, iterable } = source(1000, 10);
    for await (const x of readAhead(iterable, 20)) if (x === 5) break;
    expect(state.closed).toBe(true);
    expect(state.produced).toBeLessThan(100);
  });
});
