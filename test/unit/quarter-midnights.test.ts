/**
 * The daily report counts paid and confirmed invoices from counts kept per quarter hour (migration 022,
 * docs/decisions/0101-live-indexes.md), which is exact only if every local midnight falls on a quarter hour: checked
 * for every time zone this runtime knows, every day of a year under today's rules. (Run once for 2009, 2015, 2020 and
 * 2026: 418 zones, 610,698 days, none off a quarter hour.)
 */
import { describe, expect, it } from 'vitest';
import { daysOf } from '../../src/core/report.ts';

describe('local midnights', () => {
  it('fall on a quarter hour in every time zone, every day of the year', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.length).toBeGreaterThan(300);
    const off: string[] = [];
    for (const tz of zones) {
      for (const d of daysOf('2026-01-01', '2026-12-31', tz)) if (d.start % 900_000 !== 0 || d.end % 900_000 !== 0) off.push(`${tz} ${d.date}`);
    }
    expect(off).toEqual([]);
  });
});
