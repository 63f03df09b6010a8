/**
 * Free space on the volumes that hold the data (DATA_DIR, BACKUP_DIR). Counted as `df` does for a
 * normal user (blocks available, not the root reserve): that is what ClickHouse and the spool get.
 */
import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { ClickHouseStore } from '../storage/clickhouse/index.js';
import { formatBytes, percent } from './format.js';
import { notOk, ok, type CheckOutcome } from './types.js';

export const DISK_WARNING_FREE_RATIO = 0.2;
export const DISK_CRITICAL_FREE_RATIO = 0.1;

export interface VolumeUsage {
  /** The variables whose paths are on this volume, e.g. ["DATA_DIR", "BACKUP_DIR"]. */
  labels: string[];
  path: string;
  totalBytes: number;
  freeBytes: number;
  freeRatio: number;
}

/** The path itself, or its nearest existing parent (a BACKUP_DIR not created yet lands on its parent's volume). */
async function existingAncestor(target: string): Promise<string> {
  let current = path.resolve(target);
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** One entry per distinct volume among `paths` (by device id). */
export async function measureVolumes(paths: Record<string, string>): Promise<VolumeUsage[]> {
  const byDevice = new Map<number, VolumeUsage>();
  for (const [label, target] of Object.entries(paths)) {
    const existing = await existingAncestor(target);
    const { dev } = await stat(existing);
    const known = byDevice.get(dev);
    if (known) {
      known.labels.push(label);
      continue;
    }
    const fs = await statfs(existing);
    const totalBytes = fs.blocks * fs.bsize;
    const freeBytes = fs.bavail * fs.bsize;
    byDevice.set(dev, { labels: [label], path: target, totalBytes, freeBytes, freeRatio: totalBytes === 0 ? 1 : freeBytes / totalBytes });
  }
  return [...byDevice.values()];
}

export function classifyDisk(volumes: VolumeUsage[]): CheckOutcome {
  const describe = (v: VolumeUsage) => `${v.labels.join('+')} ${percent(v.freeRatio)} free (${formatBytes(v.freeBytes)} of ${formatBytes(v.totalBytes)})`;
  const value = volumes.map(describe).join('; ');
  const details = { volumes };
  const worst = [...volumes].sort((a, b) => a.freeRatio - b.freeRatio)[0];
  if (!worst) return ok('no volume');
  const next = worst.labels.some((l) => l.startsWith('ClickHouse'))
    ? `free space on the ClickHouse server's disk ${worst.path}: analytics health --check system-logs, or grow its volume`
    : worst.labels.includes('BACKUP_DIR') && !worst.labels.includes('DATA_DIR')
      ? `free space on ${worst.path}: analytics backup prune, or a bigger volume for BACKUP_DIR`
      : `free space on the volume of ${worst.path} (du -sh ${worst.path}/*), analytics backup prune, or grow the volume`;
  if (worst.freeRatio < DISK_CRITICAL_FREE_RATIO) {
    return notOk('CRITICAL', value, `Only ${percent(worst.freeRatio)} free on the volume of ${worst.labels.join(' and ')}`, next, details);
  }
  if (worst.freeRatio < DISK_WARNING_FREE_RATIO) {
    return notOk('WARNING', value, `Less than ${percent(DISK_WARNING_FREE_RATIO)} free on the volume of ${worst.labels.join(' and ')}`, next, details);
  }
  return ok(value, details);
}

/**
 * The disks of a ClickHouse server, as it sees them (system.disks): in a compose stack or on another host
 * they are not DATA_DIR's volume, and they are the ones that fill up.
 */
export async function clickhouseVolumes(store: ClickHouseStore): Promise<VolumeUsage[]> {
  const rows = await store.query<{ name: string; path: string; free_space: string | number; total_space: string | number }>(
    'SELECT name, path, free_space, total_space FROM system.disks',
  );
  return rows
    .map((r) => ({ name: r.name, path: r.path, free: Number(r.free_space), total: Number(r.total_space) }))
    .filter((r) => r.total > 0)
    .map((r) => ({ labels: [`ClickHouse disk ${r.name}`], path: r.path, totalBytes: r.total, freeBytes: r.free, freeRatio: r.free / r.total }));
}

export async function diskCheck(paths: Record<string, string>, extra: VolumeUsage[] = []): Promise<CheckOutcome> {
  return classifyDisk([...(await measureVolumes(paths)), ...extra]);
}
