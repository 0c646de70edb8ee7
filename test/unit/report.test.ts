/** Days, ranges and the daily report's arithmetic (src/core/report.ts, docs/books.md). */
import { describe, expect, it } from 'vitest';
import { DailyReport, dateOf, daysOf, isTimeZone, startOfDate, timeRange } from '../../src/core/report.ts';
import { SatdeskError } from '../../src/core/errors.ts';

const H = 3_600_000;

describe('local days', () => {
  it.each([
    ['2026-01-15', 'UTC', '2026-01-15T00:00:00.000Z'],
    ['2026-01-15', 'Europe/Paris', '2026-01-14T23:00:00.000Z'],
    ['2026-07-15', 'Europe/Paris', '2026-07-14T22:00:00.000Z'],
    ['2026-03-29', 'Europe/Paris', '2026-03-28T23:00:00.000Z'], // the day clocks go forward (23 h long)
    ['2026-10-25', 'Europe/Paris', '2026-10-24T22:00:00.000Z'], // the day clocks go back (25 h long)
    ['2026-01-15', 'America/New_York', '2026-01-15T05:00:00.000Z'],
    ['2026-01-15', 'Asia/Kolkata', '2026-01-14T18:30:00.000Z'],
    ['2018-11-04', 'America/Sao_Paulo', '2018-11-04T03:00:00.000Z'], // midnight skipped: the day starts at 01:00
  ])('%s in %s starts at %s', (date, tz, iso) => {
    expect(new Date(startOfDate(date, tz)).toISOString()).toBe(iso);
    expect(dateOf(startOfDate(date, tz), tz)).toBe(date);
    expect(dateOf(startOfDate(date, tz) - 1, tz)).not.toBe(date);
  });

  it('a range of days has 23- and 25-hour days where DST changes, and no gaps', () => {
    const days = daysOf('2026-03-28', '2026-03-30', 'Europe/Paris');
    expect(days.map((d) => d.date)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(days.map((d) => (d.end - d.start) / H)).toEqual([24, 23, 24]);
    expect(days[1]!.start).toBe(days[0]!.end);
    expect(daysOf('2026-10-25', '2026-10-25', 'Europe/Paris').map((d) => (d.end - d.start) / H)).toEqual([25]);
  });

  it('refuses backwards, too long and malformed ranges, and unknown zones', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as SatdeskError).code + ': ' + (e as Error).message;
      }
      return 'no error';
    };
    expect(code(() => daysOf('2026-01-02', '2026-01-01', 'UTC'))).toBe('invalid_request: to (2026-01-01) is before from (2026-01-02)');
    expect(code(() => daysOf('2025-01-01', '2026-01-02', 'UTC'))).toBe('invalid_request: a report covers at most 366 days');
    expect(code(() => daysOf('2026-02-30', '2026-03-01', 'UTC'))).toMatch(/^invalid_request: from must be a date/);
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('timeRange: dates are whole local days, instants are exact', () => {
  it('dates include the whole `to` day; instants exclude `to`', () => {
    expect(timeRange({ from: '2026-01-15', to: '2026-01-15', tz: 'Europe/Paris' })).toEqual({
      start: Date.parse('2026-01-14T23:00:00Z'),
      end: Date.parse('2026-01-15T23:00:00Z'),
    });
    expect(timeRange({ from: '2026-01-15T10:00:00Z', to: '2026-01-15T12:00:00+01:00', tz: 'UTC' })).toEqual({
      start: Date.parse('2026-01-15T10:00:00Z'),
      end: Date.parse('2026-01-15T11:00:00Z'),
    });
    const open = timeRange({ tz: 'UTC' });
    expect(open.start).toBe(Number.MIN_SAFE_INTEGER);
    expect(open.end).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses a time without an offset and a backwards range', () => {
    expect(() => timeRange({ from: '2026-01-15T10:00:00', tz: 'UTC' })).toThrow(/ISO 8601 time with its offset/);
    expect(() => timeRange({ from: 'yesterday', tz: 'UTC' })).toThrow(/from must be a date/);
    expect(() => timeRange({ from: '2026-01-16', to: '2026-01-15', tz: 'UTC' })).toThrow(/to is before from/);
  });
});

describe('DailyReport', () => {
  it('puts each row in its day, leaves reversed rows out, and totals what payments.csv sums', () => {
    const days = daysOf('2026-01-01', '2026-01-02', 'UTC');
    const r = new DailyReport(days);
    const t1 = Date.parse('2026-01-01T10:00:00Z');
    const t2 = Date.parse('2026-01-02T23:59:59.999Z');
    r.add({ kind: 'payment', time: t1, sats: 5000, state: 'counted', fiat: { currency: 'EUR', amount: '3.25' } });
    r.add({ kind: 'payment', time: t1, sats: 700, state: 'unattributed', fiat: { currency: 'EUR', amount: null } });
    r.add({ kind: 'payment', time: t1, sats: 9999, state: 'reversed', fiat: { currency: 'EUR', amount: '6.50' } });
    r.add({ kind: 'refund', time: t2, sats: -2000, state: 'refund', fiat: { currency: 'EUR', amount: '-1.30' } });
    r.add({ kind: 'payment', time: t2 + 1, sats: 1, state: 'counted', fiat: { currency: 'EUR', amount: '0.00' } }); // next day: outside
    r.setCounts(0, { created: 3, paid: 1, confirmed: 1 });
    const { days: out, totals } = r.result();
    expect(out[0]).toMatchObject({
      date: '2026-01-01',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
      invoices: { created: 3, paid: 1, confirmed: 1 },
      received: { count: 1, sats: 5000, fiat: [{ currency: 'EUR', amount: '3.25', missing: 0 }] },
      unattributed: { count: 1, sats: 700, fiat: [{ currency: 'EUR', amount: '0.00', missing: 1 }] },
      refunds: { count: 0, sats: 0, fiat: [] },
      net_sats: 5700,
    });
    expect(out[1]).toMatchObject({ refunds: { count: 1, sats: 2000, fiat: [{ currency: 'EUR', amount: '1.30', missing: 0 }] }, net_sats: -2000 });
    expect(totals).toMatchObject({ date: '2026-01-01..2026-01-02', net_sats: 3700, received: { sats: 5000 }, refunds: { sats: 2000 }, invoices: { created: 3 } });
  });
});
