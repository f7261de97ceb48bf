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

/** A time's UTC calendar fields (proleptic Gregorian, year 0 = 1 BC, as Date counts), from seconds since the epoch. */
export interface UtcParts {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * seconds → UTC calendar fields by integer arithmetic (the days-to-civil
 * conversion of H. Hinnant's date algorithms): about twice as fast as going
 * through a Date and its six getters, and the list writes three timestamps
 * per order.
 */
export function utcParts(seconds: number): UtcParts {
  const whole = Math.floor(seconds);
  const days = Math.floor(whole / 86_400);
  let rest = whole - days * 86_400;
  // days since 0000-03-01, in 400-year eras of 146,097 days (years start in March: the leap day comes last)
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1,
    hour,
    minute,
    second: rest - minute * 60,
  };
}

export function formatTimestamp(seconds: number): string {
  const t = utcParts(seconds);
  return `${String(t.year).padStart(4, '0')}-${pad2(t.month)}-${pad2(t.day)} ${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}`;
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
