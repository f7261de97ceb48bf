/**
 * UTC seconds → wall-clock time in an IANA zone, fast enough for millions of
 * rows: the zone's offset is looked up with Intl once per UTC hour and cached.
 *
 * An hour is cached only when the offset at its first and at its last second
 * agree; an hour that holds a transition (DST change, or the odd historical
 * change at a non-hour instant such as 02:00 in America/St_Johns = 05:30 UTC)
 * is asked of Intl for every timestamp in it, so the result is always exact.
 */
import { formatTimestamp, utcMs } from '../../shared/time.js';

const HOUR = 3600;
/** An hour with an offset change inside it. */
const MIXED = Number.NaN;
/** Cached hours before the cache starts over (~11 years of distinct hours). */
const CACHE_LIMIT = 100_000;

export class TimeZoneConverter {
  readonly tz: string;
  private readonly dtf: Intl.DateTimeFormat;
  private readonly fixedZero: boolean;
  private readonly hours = new Map<number, number>();

  /** Throws RangeError for a name that is not an IANA time zone. */
  constructor(tz: string) {
    this.dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      // years before 1 come as "1 BC", "2 BC": the era says how to count them
      era: 'short',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.tz = tz;
    const resolved = this.dtf.resolvedOptions().timeZone;
    this.fixedZero = resolved === 'UTC' || resolved === 'Etc/UTC' || resolved === 'Etc/GMT';
  }

  /** Offset of the zone from UTC at `seconds`, in seconds east of UTC. */
  offset(seconds: number): number {
    if (this.fixedZero) return 0;
    const hour = Math.floor(seconds / HOUR);
    let cached = this.hours.get(hour);
    if (cached === undefined) {
      const start = hour * HOUR;
      const first = this.exactOffset(start);
      const last = this.exactOffset(start + HOUR - 1);
      cached = first === last ? first : MIXED;
      if (this.hours.size >= CACHE_LIMIT) this.hours.clear();
      this.hours.set(hour, cached);
    }
    return Number.isNaN(cached) ? this.exactOffset(seconds) : cached;
  }

  /** Wall-clock time in the zone, as seconds since 1970-01-01 00:00:00 of that wall clock. */
  wallSeconds(seconds: number): number {
    return seconds + this.offset(seconds);
  }

  /** `YYYY-MM-DD HH:MM:SS` in the zone. */
  format(seconds: number): string {
    return formatTimestamp(this.wallSeconds(seconds));
  }

  private exactOffset(seconds: number): number {
    const f = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    let beforeChrist = false;
    for (const part of this.dtf.formatToParts(seconds * 1000)) {
      switch (part.type) {
        case 'era':
          beforeChrist = part.value === 'BC';
          break;
        case 'year':
        case 'month':
        case 'day':
        case 'hour':
        case 'minute':
        case 'second':
          f[part.type] = Number(part.value);
          break;
        default:
          break;
      }
    }
    // 1 BC is the year 0 of timestamps (formatTimestamp, ISO 8601), 2 BC is -1
    const year = beforeChrist ? 1 - f.year : f.year;
    return utcMs(year, f.month - 1, f.day, f.hour, f.minute, f.second) / 1000 - seconds;
  }
}
