import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../shared/time.js';
import { TimeZoneConverter } from './timezone.js';

const at = (s: string) => parseTimestamp(s) as number;

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall time straight from Intl, no offset cache. */
function intlWall(tz: string, seconds: number): string {
  let dtf = formats.get(tz);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(tz, dtf);
  }
  const parts = dtf.formatToParts(seconds * 1000);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

describe('TimeZoneConverter', () => {
  it('counts the year before 1 as 0000 (Intl calls it 1 BC), in any zone', () => {
    const year0 = new Date(0).setUTCFullYear(0, 2, 1) / 1000; // 0000-03-01 00:00:00 UTC
    expect(new TimeZoneConverter('UTC').format(year0)).toBe('0000-03-01 00:00:00');
    // Moscow's local mean time then: +2:30:17
    expect(new TimeZoneConverter('Europe/Moscow').format(year0)).toBe('0000-03-01 02:30:17');
    expect(new TimeZoneConverter('Europe/Moscow').offset(year0)).toBe(2 * 3600 + 30 * 60 + 17);
    expect(new TimeZoneConverter('America/New_York').format(year0)).toBe('0000-02-29 19:03:58');
  });

  it('converts across DST changes in New York (spring forward and fall back)', () => {
    const ny = new TimeZoneConverter('America/New_York');
    expect(ny.format(at('2026-03-08 06:59:59'))).toBe('2026-03-08 01:59:59');
    expect(ny.format(at('2026-03-08 07:00:00'))).toBe('2026-03-08 03:00:00');
    expect(ny.format(at('2026-11-01 05:59:59'))).toBe('2026-11-01 01:59:59');
    expect(ny.format(at('2026-11-01 06:00:00'))).toBe('2026-11-01 01:00:00');
    expect(ny.offset(at('2026-01-15 12:00:00'))).toBe(-5 * 3600);
    expect(ny.offset(at('2026-07-15 12:00:00'))).toBe(-4 * 3600);
  });

  it('converts Moscow now and across its 2010 DST change', () => {
    const msk = new TimeZoneConverter('Europe/Moscow');
    expect(msk.format(at('2026-01-15 10:30:00'))).toBe('2026-01-15 13:30:00');
    expect(msk.format(at('2010-03-27 22:59:59'))).toBe('2010-03-28 01:59:59');
    expect(msk.format(at('2010-03-27 23:00:00'))).toBe('2010-03-28 03:00:00');
  });

  it('is exact inside an hour that holds a transition at half past (St Johns, Lord Howe)', () => {
    const nf = new TimeZoneConverter('America/St_Johns');
    // 02:00 NST (-03:30) = 05:30 UTC → 03:00 NDT
    expect(nf.format(at('2026-03-08 05:00:00'))).toBe('2026-03-08 01:30:00');
    expect(nf.format(at('2026-03-08 05:29:59'))).toBe('2026-03-08 01:59:59');
    expect(nf.format(at('2026-03-08 05:30:00'))).toBe('2026-03-08 03:00:00');
    expect(nf.format(at('2026-03-08 05:59:59'))).toBe('2026-03-08 03:29:59');
    const lh = new TimeZoneConverter('Australia/Lord_Howe');
    for (const s of ['2026-04-04 14:29:59', '2026-04-04 14:30:00', '2026-04-04 15:00:00', '2026-10-03 15:29:59', '2026-10-03 15:30:00']) {
      expect(lh.format(at(s))).toBe(intlWall('Australia/Lord_Howe', at(s)));
    }
  });

  it('agrees with Intl for many instants in many zones, cached hours included', () => {
    const zones = ['UTC', 'Europe/Moscow', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham', 'Europe/London', 'Asia/Kolkata'];
    let x = 12345;
    const next = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x;
    };
    for (const tz of zones) {
      const conv = new TimeZoneConverter(tz);
      for (let i = 0; i < 400; i++) {
        // 1900..2040, then the same hour again from the cache
        const seconds = -2208988800 + (next() % 4417000) * 1000 + (next() % 1000);
        expect(conv.format(seconds), `${tz} ${seconds}`).toBe(intlWall(tz, seconds));
        expect(conv.format(seconds + 1), `${tz} ${seconds + 1}`).toBe(intlWall(tz, seconds + 1));
      }
    }
  });

  it('gives the wall time as seconds (what a spreadsheet date serial is made from)', () => {
    const msk = new TimeZoneConverter('Europe/Moscow');
    expect(msk.wallSeconds(at('2026-01-15 10:30:00'))).toBe(at('2026-01-15 13:30:00'));
  });

  it('rejects a name that is not a time zone', () => {
    expect(() => new TimeZoneConverter('Mars/Olympus')).toThrow(RangeError);
  });
});
