import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needsPreserve, SheetXml } from './sheet-xml.js';
import { xmlText } from './xlsx.js';

/** What a SheetXml wrote, from a 1-byte buffer so that every write grows it too. */
function written(write: (w: SheetXml) => void): Buffer {
  const w = new SheetXml(1);
  write(w);
  return w.take();
}

describe('SheetXml: sheet XML written as UTF-8 bytes', () => {
  it('writes text as the UTF-8 of xmlText(): entities, forbidden characters and lone surrogate halves dropped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary-ascii', maxLength: 5 }), fc.nat(50), (s, t, cut) => {
        const text = t + s + t;
        expect(written((w) => w.text(text))).toEqual(Buffer.from(xmlText(text)));
        // the first `end` code units only, as a text cut at Excel's limit
        const end = Math.min(cut, text.length);
        expect(written((w) => w.text(text, end))).toEqual(Buffer.from(xmlText(text.slice(0, end))));
      }),
      { numRuns: 2000 },
    );
    const tricky = 'a<b>&"c"\u0000\u0008\u000b\u001f\t\n\r\u007f\uFFFD\uFFFE\uFFFF «ё» \ud800x\udfff 🎄 \ud83c\udf84';
    expect(written((w) => w.text(tricky))).toEqual(Buffer.from(xmlText(tricky)));
    expect(written((w) => w.text(tricky)).toString('utf8')).toBe('a&lt;b&gt;&amp;&quot;c&quot;\t\n\r\u007f\uFFFD «ё» x 🎄 🎄');
    // a pair cut by the end: its high half alone is dropped
    expect(written((w) => w.text('x🎄y', 2)).toString('utf8')).toBe('x');
    expect(written((w) => w.text('x🎄y', 3)).toString('utf8')).toBe('x🎄');
  });

  it('writes money in minor units as String(minor / 100) does, and numbers as String() does', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -(10 ** 15), max: 10 ** 15 })),
        fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true })),
        (minor, n) => {
          expect(written((w) => w.cents(minor)).toString('latin1')).toBe(String(minor / 100));
          expect(written((w) => w.number(n)).toString('latin1')).toBe(String(n));
        },
      ),
      { numRuns: 2000 },
    );
    expect([0, 5, 50, 100, 101, 110, 4612, -5, -150].map((m) => written((w) => w.cents(m)).toString('latin1'))).toEqual([
      '0', '0.05', '0.5', '1', '1.01', '1.1', '46.12', '-0.05', '-1.5',
    ]);
    // beyond 10^15 units String(minor / 100) is off by a cent; the writer is exact
    expect(written((w) => w.cents(7_952_932_248_970_863)).toString('latin1')).toBe('79529322489708.63');
  });

  it('hands over what it wrote and goes on in a new buffer', () => {
    const w = new SheetXml(4);
    w.text('first');
    const first = w.take();
    w.text('second');
    expect(first.toString()).toBe('first');
    expect(w.take().toString()).toBe('second');
    expect(w.length).toBe(0);
  });

  it('tells the texts that start or end with white space as /^\\s|\\s$/ does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('', 'x', ' ', '\t', '\n', '\u000b', '\f', '\r', '\u001f', '\u0085', '\u00a0', '\u1680', '\u2000', '\u200a', '\u200b', '\u2028', '\u3000', '\ufeff'), (s, edge) => {
        for (const text of [s, edge + s, s + edge]) {
          expect(needsPreserve(text)).toBe(/^\s|\s$/.test(text));
          // the first `end` code units only, as a text cut at Excel's limit
          expect(needsPreserve(text + 'x ' + s, text.length)).toBe(/^\s|\s$/.test(text));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
