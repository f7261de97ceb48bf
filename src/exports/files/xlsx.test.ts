import { describe, expect, it } from 'vitest';
import { columnLetters, xmlText } from './xlsx.js';

describe('columnLetters', () => {
  it('counts A..Z, then AA..', () => {
    expect([0, 1, 24, 25, 26, 27, 51, 52, 701, 702].map(columnLetters)).toEqual(['A', 'B', 'Y', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA']);
  });
});

describe('xmlText', () => {
  it('escapes markup and leaves other text alone', () => {
    expect(xmlText('plain Ёлка 🎄')).toBe('plain Ёлка 🎄');
    expect(xmlText('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
  it('drops what XML 1.0 cannot hold, keeps tab, LF and CR', () => {
    expect(xmlText('a\u0000b\u0001c\u001Fd\uFFFEe\uFFFF')).toBe('abcde');
    expect(xmlText('t\tl\nc\r')).toBe('t\tl\nc\r');
    expect(xmlText('lone \uD83C here, pair \uD83C\uDF84, lone \uDF84 too')).toBe('lone  here, pair 🎄, lone  too');
  });
});
