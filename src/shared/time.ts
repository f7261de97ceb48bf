/**
 * Timestamps: stored as integer seconds since the epoch (UTC); shown in the
 * API as `YYYY-MM-DD HH:MM:SS` UTC (SPEC §1).
 */
/** The times the API can write: 0000-01-01 00:00:00 to 9999-12-31 23:59:59 UTC. */
export const MIN_SECONDS = -62_167_219_200;
export const MAX_SECONDS = 253_402_300_799;

const API_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:?\d{2})?$/;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Date.UTC without its mapping of years 0..99 to 1900..1999. */
export function utcMs(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

export function formatTimestamp(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())}`;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(utcMs(year, month, 0)).getUTCDate();
}

/** Offset like `Z`, `+03:00`, `+0300`, `-05` in minutes east of UTC, or undefined when malformed. */
export function parseOffsetMinutes(offset: string): number | undefined {
  if (offset === 'Z' || offset === 'z') return 0;
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(offset);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * Parses a timestamp as the API writes it (`2019-07-25 14:56:16`, UTC) or as
 * ISO 8601 with `T` and an optional offset. Returns seconds since the epoch;
 * undefined for a time the API could not write back (before year 0000 or
 * after 9999 in UTC — SQLite's strftime, which writes the list, has no such
 * years either).
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = API_TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = m[7] === undefined ? 0 : parseOffsetMinutes(m[7]);
  if (offset === undefined) return undefined;
  const seconds = utcMs(year, month - 1, day, hour, minute, second) / 1000 - offset * 60;
  // an offset can carry a time past the years the API writes (four digits,
  // UTC); the import's own fields cannot (their schema is UTC), other input can
  return seconds < MIN_SECONDS || seconds > MAX_SECONDS ? undefined : seconds;
}
