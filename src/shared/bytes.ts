/**
 * Text written straight into UTF-8 bytes: the growing buffer under the list's
 * JSON (shared/json.ts) and the xlsx export's sheet XML
 * (exports/files/sheet-xml.ts). Each of those adds its own escaping; this
 * holds what they share: room, constant bytes, decimal digits, UTF-8.
 *
 * Why bytes and not strings (docs/DECISIONS.md): building text from many
 * small values as strings costs a string per value and a rope per object,
 * then flattening and encoding at the end — slower still where one non-ASCII
 * character makes the whole text two-byte. Written byte by byte into one
 * buffer the same text takes a fraction of that, and the constant parts are
 * bytes encoded once.
 */

/** Text known to be printable ASCII as bytes: the constant parts (keys, tags, punctuation). */
export function ascii(text: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`not printable ASCII: ${text}`);
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A growing buffer written from the start; a subclass adds the writers of its language. */
export class ByteWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(expectedBytes = 4096) {
    this.buf = Buffer.allocUnsafe(expectedBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Room for n more bytes. */
  protected room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** One ASCII character, by its code. */
  byte(code: number): void {
    this.room(1);
    this.buf[this.pos++] = code;
  }

  /** Bytes as they are: a constant made by ascii(). */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = bytes[i]!;
    this.pos = p;
  }

  /** A number as String(value) writes it; integers in [0, 2^31) digit by digit, without a string. */
  number(value: number): void {
    if (value >= 0 && value < 0x80000000 && Number.isInteger(value)) this.digits(value);
    else this.asciiText(String(value));
  }

  /** A non-negative integer below 2^31, in decimal. */
  private digits(value: number): void {
    let count = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) count++;
    this.room(count);
    const buf = this.buf;
    let p = this.pos + count;
    this.pos = p;
    do {
      const next = (value / 10) | 0;
      buf[--p] = 0x30 + value - 10 * next;
      value = next;
    } while (value > 0);
  }

  /** Text known to be ASCII, without escaping (numbers' own text). */
  protected asciiText(text: string): void {
    this.room(text.length);
    this.pos += this.buf.write(text, this.pos, 'latin1');
  }
}

/** '00'..'99': two ASCII digits at 2n, 2n+1 */
export const TWO_DIGITS = ascii(Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0')).join(''));

/** UTF-8 of a code unit in [0x80, 0xFFFF] that is not a surrogate half, at p; returns the position after it. */
export function utf8Unit(buf: Buffer, p: number, c: number): number {
  if (c < 0x800) {
    buf[p++] = 0xc0 | (c >> 6);
    buf[p++] = 0x80 | (c & 0x3f);
  } else {
    buf[p++] = 0xe0 | (c >> 12);
    buf[p++] = 0x80 | ((c >> 6) & 0x3f);
    buf[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/** UTF-8 of the code point of a surrogate pair (high half `hi`, low half `lo`), at p; returns the position after it. */
export function utf8Pair(buf: Buffer, p: number, hi: number, lo: number): number {
  const cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
  buf[p++] = 0xf0 | (cp >> 18);
  buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
  buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
  buf[p++] = 0x80 | (cp & 0x3f);
  return p;
}

/** Whether the code unit after a high surrogate half (`next`, 0 at the end) is its low half. */
export function isLowHalf(next: number): boolean {
  return next >= 0xdc00 && next <= 0xdfff;
}
