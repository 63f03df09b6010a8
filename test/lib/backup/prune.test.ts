import { describe, expect, it } from 'vitest';
import { planPrune, type BackupEntry } from '../../../src/lib/backup/catalog.js';

/** Backups every 12 hours from newest backwards, newest first (as listBackups returns them). */
function backups(count: number, newest = Date.parse('2026-11-22T03:00:00Z')): BackupEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const createdAt = new Date(newest - i * 12 * 3_600_000).toISOString();
    return { name: `b${i}`, path: `/x/b${i}`, createdAt, bytes: 1, encrypted: false, verified: false };
  });
}

describe('backup prune plan (daily / weekly / monthly generations)', () => {
  it('keeps the newest backup of each of the last N days, ISO weeks and months', () => {
    const list = backups(200); // 100 days
    const keep = planPrune(list, { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 });
    const daily = [...keep].filter(([, r]) => r.some((x) => x.startsWith('daily'))).map(([n]) => n);
    // b0 is 11-22 03:00, b1 11-21 15:00 and b2 11-21 03:00 (same day as b1): the newest of each day is kept.
    expect(daily).toEqual(['b0', 'b1', 'b3', 'b5', 'b7', 'b9', 'b11']);
    const weekly = [...keep].filter(([, r]) => r.some((x) => x.startsWith('weekly'))).map(([n]) => n);
    expect(weekly).toHaveLength(4);
    const monthly = [...keep].filter(([, r]) => r.some((x) => x.startsWith('monthly'))).map(([, r]) => r.find((x) => x.startsWith('monthly')));
    expect(monthly).toEqual(['monthly 2026-11', 'monthly 2026-10', 'monthly 2026-09']);
    expect(keep.size).toBeLessThan(7 + 4 + 3);
  });

  it('never deletes the newest verified backup, even when every rule keeps nothing', () => {
    const list = backups(10);
    list[6] = { ...(list[6] as BackupEntry), verified: true };
    list[8] = { ...(list[8] as BackupEntry), verified: true };
    const keep = planPrune(list, { keepDaily: 0, keepWeekly: 0, keepMonthly: 0 });
    expect([...keep.keys()]).toEqual(['b6']);
    expect(keep.get('b6')).toEqual(['newest verified']);
  });
});
