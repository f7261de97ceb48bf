/**
 * Sheet XML of the xlsx export written straight into UTF-8 bytes
 * (shared/bytes.ts says why): the rows of a sheet are a few million small
 * values; built as strings and then encoded they cost the export's threads
 * about as much again as building them (docs/DECISIONS.md).
 */
import { ascii, ByteWriter, isLowHalf, TWO_DIGITS, utf8Pair, utf8Unit } from '../../shared/bytes.js';

/** What a character below 0x80 becomes in XML text: 0 as it is, 1 dropped, else the index of its entity + 2. */
const ASCII_ACTION = new Uint8Array(0x80);
// C0 controls other than tab, LF and CR: XML 1.0 cannot hold them
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) ASCII_ACTION[c] = 1;
const ENTITIES = [ascii('&amp;'), ascii('&lt;'), ascii('&gt;'), ascii('&quot;')];
ASCII_ACTION[0x26] = 2;
ASCII_ACTION[0x3c] = 3;
ASCII_ACTION[0x3e] = 4;
ASCII_ACTION[0x22] = 5;

/**
 * Whether the first `end` code units of a text start or end with white space
 * (as JavaScript's `\s` has it), which a spreadsheet would trim unless the
 * element says xml:space="preserve".
 */
export function needsPreserve(text: string, end = text.length): boolean {
  return end > 0 && (isSpace(text.charCodeAt(0)) || isSpace(text.charCodeAt(end - 1)));
}

function isSpace(c: number): boolean {
  if (c < 0xa0) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return /\s/.test(String.fromCharCode(c));
}

export class SheetXml extends ByteWriter {
  /**
   * The first `end` code units of a text as XML character data, fit for an
   * attribute value too, as xmlText() writes it: `& < > "` as entities;
   * characters XML 1.0 cannot hold (C0 controls other than tab/LF/CR,
   * U+FFFE/U+FFFF, lone surrogate halves) dropped.
   */
  text(value: string, end = value.length): void {
    // at most 6 bytes per code unit (&quot;)
    this.room(6 * end);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < end; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x80) {
        const action = ASCII_ACTION[c]!;
        if (action === 0) buf[p++] = c;
        else if (action > 1) {
          const entity = ENTITIES[action - 2]!;
          for (let k = 0; k < entity.length; k++) buf[p++] = entity[k]!;
        }
      } else if (c < 0xd800 || (c > 0xdfff && c < 0xfffe)) {
        p = utf8Unit(buf, p, c);
      } else if (c <= 0xdbff) {
        const next = i + 1 < end ? value.charCodeAt(i + 1) : 0;
        if (isLowHalf(next)) {
          p = utf8Pair(buf, p, c, next);
          i++;
        }
      }
      // else: a lone low half, U+FFFE or U+FFFF, dropped
    }
    this.pos = p;
  }

  /**
   * Money in minor units as the decimal minor/100 with no trailing zeros
   * ("1510.5", "-0.05", "3"): what String(minor / 100) writes for any amount
   * below 10^13 units, and exact beyond.
   */
  cents(minor: number): void {
    if (minor < 0) {
      this.byte(0x2d);
      minor = -minor;
    }
    const whole = Math.floor(minor / 100);
    this.number(whole);
    const cents = minor - whole * 100;
    if (cents === 0) return;
    this.room(3);
    const buf = this.buf;
    buf[this.pos++] = 0x2e;
    buf[this.pos++] = TWO_DIGITS[2 * cents]!;
    if (cents % 10 !== 0) buf[this.pos++] = TWO_DIGITS[2 * cents + 1]!;
  }

  /**
   * What was written; the writer goes on in a new buffer of the same size (the
   * bytes are handed to a stream, which keeps them until it has written them).
   */
  take(): Buffer {
    const bytes = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    return bytes;
  }
}
