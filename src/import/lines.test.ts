import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines } from './lines.js';

async function collect(chunks: (string | Buffer)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(Readable.from(chunks))) out.push(l);
  return out;
}

describe('readLines', () => {
  it('splits across chunks, strips CR and a leading BOM, keeps a last line without newline', async () => {
    expect(await collect(['\ufeffa', 'b\r\nc\n', '\nd'])).toEqual(['ab', 'c', '', 'd']);
  });
  it('does not split a multi-byte character cut between chunks', async () => {
    const bytes = Buffer.from('Я\nё\n');
    expect(await collect([bytes.subarray(0, 1), bytes.subarray(1)])).toEqual(['Я', 'ё']);
  });
  it('yields nothing for empty input', async () => {
    expect(await collect([])).toEqual([]);
  });
});
