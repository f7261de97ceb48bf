import { expect } from 'vitest';
import { JsonBytes } from '../../src/shared/json.js';

/**
 * What a JsonBytes writer wrote, as text; checked to be exactly the UTF-8 of
 * that text (no bytes a decoder would replace). A small start makes the
 * writes grow the buffer too.
 */
export function written(write: (w: JsonBytes) => void, expectedBytes = 1): string {
  const w = new JsonBytes(expectedBytes);
  write(w);
  const text = w.body().toString('utf8');
  expect(Buffer.from(text, 'utf8').equals(w.body())).toBe(true);
  return text;
}
