import { describe, expect, it } from 'vitest';
import { describeRange, lastCompletedPeriod, localDate } from '../../../src/lib/reports/periods.js';

describe('report periods', () => {
  it('last week is the previous Monday–Sunday in the site\'s time zone', () => {
    // Wednesday 2026-11-18 12:00 UTC.
    expect(lastCompletedPeriod('week', 'Etc/UTC', new Date('2026-11-18T12:00:00Z'))).toEqual({ period: 'week', first: '2026-11-09', last: '2026-11-15' });
    // Monday 00:30 in Berlin is still Sunday in UTC: Berlin's last week has ended, UTC's has not.
    const mondayBerlin = new Date('2026-11-15T23:30:00Z');
    expect(lastCompletedPeriod('week', 'Europe/Berlin', mondayBerlin)).toMatchObject({ first: '2026-11-09', last: '2026-11-15' });
    expect(lastCompletedPeriod('week', 'Etc/UTC', mondayBerlin)).toMatchObject({ first: '2026-11-02', last: '2026-11-08' });
  });

  it('last month is the previous calendar month, across a year boundary too', () => {
    expect(lastCompletedPeriod('month', 'Etc/UTC', new Date('2026-03-01T00:00:00Z'))).toEqual({ period: 'month', first: '2026-02-01', last: '2026-02-28' });
    expect(lastCompletedPeriod('month', 'America/New_York', new Date('2027-01-01T03:00:00Z'))).toMatchObject({ first: '2026-11-01', last: '2026-11-30' });
    expect(lastCompletedPeriod('month', 'Etc/UTC', new Date('2027-01-01T03:00:00Z'))).toMatchObject({ first: '2026-12-01', last: '2026-12-31' });
  });

  it('local dates and labels', () => {
    expect(localDate(new Date('2026-11-15T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-16');
    expect(describeRange({ period: 'month', first: '2026-10-01', last: '2026-10-31' })).toBe('October 2026');
    expect(describeRange({ period: 'week', first: '2026-11-09', last: '2026-11-15' })).toBe('9 Nov 2026 – 15 Nov 2026');
  });
});
