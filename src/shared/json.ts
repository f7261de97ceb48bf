/**
 * JSON of the orders list, written straight into UTF-8 bytes
 * (orders/mappers.ts writes each object with it; SQLite's JSON text is
 * copied in as it is).
 *
 * Why bytes and not strings (shared/bytes.ts, docs/DECISIONS.md): a page of
 * 50 orders is ~75 KB of JSON from a few thousand small values. Written as
 * strings it took ~250 µs of every request to build the text and ~50 µs more
 * to encode it; written byte by byte into one buffer the same page takes
 * ~2.5× less.
 */
import { ascii, ByteWriter, isLowHalf, TWO_DIGITS, utf8Pair, utf8Unit } from './bytes.js';
import { formatTimestamp, MAX_SECONDS, MIN_SECONDS, utcParts } from './time.js';

/**
 * JSON text of a T. The type parameter names the API shape the text holds,
 * so signatures keep saying what they hold although the value is a string.
 */
export type JsonText<T> = string & { readonly __jsonOf?: T };

/** JSON of a T as UTF-8 bytes (what the route sends). */
export type JsonBody<T> = Buffer & { readonly __jsonOf?: T };

const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');
const HEX = ascii('0123456789abcdef');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** JSON.stringify's short escapes, by code unit (\b \t \n \f \r); 0 = none */
const SHORT_ESCAPE = new Uint8Array(0x20);
SHORT_ESCAPE[0x08] = 0x62;
SHORT_ESCAPE[0x09] = 0x74;
SHORT_ESCAPE[0x0a] = 0x6e;
SHORT_ESCAPE[0x0c] = 0x66;
SHORT_ESCAPE[0x0d] = 0x72;
/** Below this length a text is copied by a loop here; above, by Buffer's native UTF-8 writer (a call costs more than a short loop). */
const NATIVE_FROM = 64;

/**
 * A growing buffer that JSON values are written into as UTF-8, each exactly
 * as JSON.stringify writes it (the property tests hold every writer to
 * that). Single use: write, then take `body()`.
 */
export class JsonBytes extends ByteWriter {
  /** What was written, as a T's JSON (no copy: a view of the buffer). */
  body<T>(): JsonBody<T> {
    return this.buf.subarray(0, this.pos);
  }

  /** Bytes [start, end) of another writer (parts written ahead, OrdersService). */
  copy(from: JsonBytes, start: number, end: number): void {
    this.room(end - start);
    this.pos += from.buf.copy(this.buf, this.pos, start, end);
  }

  /** JSON text as it is (stored JSON columns, JSON that SQLite wrote). */
  json(text: JsonText<unknown>): void {
    const n = text.length;
    this.room(3 * n);
    if (n < NATIVE_FROM) {
      const buf = this.buf;
      const p = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p + i] = c;
      }
      if (i === n) {
        this.pos = p + n;
        return;
      }
    }
    // Text written by JSON.stringify or SQLite's JSON functions holds no lone surrogate, which this would replace.
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** A string literal, escaped as JSON.stringify escapes: `"`, `\`, control characters and lone surrogates. */
  string(value: string): void {
    const n = value.length;
    // at most 6 bytes per code unit (\uXXXX), plus the quotes
    this.room(6 * n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
          buf[p++] = c;
        } else {
          buf[p++] = BACKSLASH;
          if (c >= 0x20) buf[p++] = c;
          else if (SHORT_ESCAPE[c] !== 0) buf[p++] = SHORT_ESCAPE[c]!;
          else p = unicodeEscape(buf, p, c);
        }
      } else if (c < 0xd800 || c > 0xdfff) {
        p = utf8Unit(buf, p, c);
      } else {
        const next = i + 1 < n ? value.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && isLowHalf(next)) {
          p = utf8Pair(buf, p, c, next);
          i++;
        } else {
          // a lone surrogate half: JSON.stringify writes it as an escape
          buf[p++] = BACKSLASH;
          p = unicodeEscape(buf, p, c);
        }
      }
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  stringOrNull(value: string | null): void {
    if (value === null) this.raw(NULL);
    else this.string(value);
  }

  timestampOrNull(seconds: number | null): void {
    if (seconds === null) this.raw(NULL);
    else this.timestamp(seconds);
  }

  boolean(value: boolean): void {
    this.raw(value ? TRUE : FALSE);
  }

  /** Money: minor units as a string with two decimals, as formatMoney writes it (SPEC §1). */
  money(minor: number): void {
    this.byte(QUOTE);
    if (minor < 0) {
      this.byte(0x2d);
      minor = -minor;
    }
    const whole = Math.floor(minor / 100);
    this.number(whole);
    this.room(4);
    const cents = 2 * (minor - whole * 100);
    const buf = this.buf;
    buf[this.pos++] = 0x2e;
    buf[this.pos++] = TWO_DIGITS[cents]!;
    buf[this.pos++] = TWO_DIGITS[cents + 1]!;
    buf[this.pos++] = QUOTE;
  }

  /** A timestamp (seconds) as the API writes it, `"YYYY-MM-DD HH:MM:SS"` in UTC, as formatTimestamp writes it. */
  timestamp(seconds: number): void {
    if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS)) {
      // never stored (the import accepts years 0000-9999); written as formatTimestamp would
      this.byte(QUOTE);
      this.asciiText(formatTimestamp(seconds));
      this.byte(QUOTE);
      return;
    }
    const t = utcParts(seconds);
    this.room(21);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = QUOTE;
    p = twoDigits(buf, p, Math.floor(t.year / 100));
    p = twoDigits(buf, p, t.year % 100);
    buf[p++] = 0x2d;
    p = twoDigits(buf, p, t.month);
    buf[p++] = 0x2d;
    p = twoDigits(buf, p, t.day);
    buf[p++] = 0x20;
    p = twoDigits(buf, p, t.hour);
    buf[p++] = 0x3a;
    p = twoDigits(buf, p, t.minute);
    buf[p++] = 0x3a;
    p = twoDigits(buf, p, t.second);
    buf[p++] = QUOTE;
    this.pos = p;
  }
}

function twoDigits(buf: Buffer, p: number, n: number): number {
  buf[p] = TWO_DIGITS[2 * n]!;
  buf[p + 1] = TWO_DIGITS[2 * n + 1]!;
  return p + 2;
}

/** `uXXXX` (lower-case hex, as JSON.stringify writes it) after a backslash already written. */
function unicodeEscape(buf: Buffer, p: number, c: number): number {
  buf[p++] = 0x75;
  buf[p++] = HEX[c >> 12]!;
  buf[p++] = HEX[(c >> 8) & 0xf]!;
  buf[p++] = HEX[(c >> 4) & 0xf]!;
  buf[p++] = HEX[c & 0xf]!;
  return p;
}
