/**
 * Ingest spool backlog and flush lag. The running server reports its live spool and flusher; with no
 * server, the segment files in DATA_DIR/spool tell what is waiting for the next start.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Flusher, Spool } from '../spool/index.js';
import { DEFAULT_SPOOL_MAX_BYTES, segmentDataBytes } from '../spool/index.js';
import { formatBytes, formatDuration, percent } from './format.js';
import { notOk, ok, type CheckOutcome } from './types.js';

/** As the server's /api/health: warn at half full, critical at 90 %, long before events are refused. */
export const SPOOL_WARNING_RATIO = 0.5;
export const SPOOL_CRITICAL_RATIO = 0.9;
/** Events flush every few seconds; minutes of lag mean ClickHouse is not taking them. */
export const LAG_WARNING_MS = 5 * 60_000;
export const LAG_CRITICAL_MS = 30 * 60_000;

export interface SpoolMeasurement {
  serverRunning: boolean;
  pendingRecords?: number;
  pendingBytes: number;
  usedRatio: number;
  lagMs?: number;
  consecutiveFailures?: number;
  lastError?: string;
}

export function classifySpool(m: SpoolMeasurement): CheckOutcome {
  const backlog = m.pendingRecords !== undefined ? `${m.pendingRecords} event(s)` : formatBytes(m.pendingBytes);
  const value =
    m.pendingBytes === 0 && !m.pendingRecords
      ? `empty${m.serverRunning ? '' : ' (server not running)'}`
      : `${backlog} waiting, ${percent(m.usedRatio)} full${m.lagMs !== undefined ? `, oldest ${formatDuration(m.lagMs)}` : ''}`;
  const details = { ...m };
  const next = m.serverRunning
    ? 'analytics health --check clickhouse   (the server log says why flushing to ClickHouse fails)'
    : 'analytics start   (sends the waiting events to ClickHouse)';
  if (m.usedRatio >= SPOOL_CRITICAL_RATIO) {
    return notOk('CRITICAL', value, 'The spool is almost full: new events will be refused', next, details);
  }
  if (m.lagMs !== undefined && m.lagMs >= LAG_CRITICAL_MS) {
    return notOk('CRITICAL', value, `Events have waited ${formatDuration(m.lagMs)} to reach ClickHouse`, next, details);
  }
  if (m.usedRatio >= SPOOL_WARNING_RATIO) {
    return notOk('WARNING', value, 'The spool is more than half full', next, details);
  }
  if (m.consecutiveFailures) {
    return notOk('WARNING', value, `Flushing to ClickHouse fails (${m.consecutiveFailures} time(s) in a row): ${m.lastError ?? 'unknown error'}`, next, details);
  }
  if (m.lagMs !== undefined && m.lagMs >= LAG_WARNING_MS) {
    return notOk('WARNING', value, `Events have waited ${formatDuration(m.lagMs)} to reach ClickHouse`, next, details);
  }
  if (!m.serverRunning && m.pendingBytes > 0) {
    return notOk('WARNING', value, 'Events are waiting in the spool and no server runs to send them', next, details);
  }
  return ok(value, details);
}

export function measureLiveSpool(spool: Spool, flusher: Flusher): SpoolMeasurement {
  const stats = spool.stats();
  const status = flusher.status();
  return {
    serverRunning: true,
    pendingRecords: stats.pendingRecords,
    pendingBytes: stats.pendingBytes,
    usedRatio: Math.round(stats.usedRatio * 10_000) / 10_000,
    ...(status.lagMs !== undefined ? { lagMs: status.lagMs } : {}),
    consecutiveFailures: status.consecutiveFailures,
    ...(status.consecutiveFailures > 0 && status.lastError ? { lastError: status.lastError.message } : {}),
  };
}

/**
 * The spool as a stopped server left it: the bytes of its segment files, and the oldest non-empty
 * segment's modification time as a lower bound of how long its events have waited.
 */
export async function measureSpoolFiles(dataDir: string, now = Date.now()): Promise<SpoolMeasurement> {
  const dir = path.join(dataDir, 'spool');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^\d{12}\.seg$/.test(n)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { serverRunning: false, pendingBytes: 0, usedRatio: 0 };
    throw error;
  }
  let pendingBytes = 0;
  let oldest: number | undefined;
  for (const name of names) {
    const file = path.join(dir, name);
    const bytes = await segmentDataBytes(file);
    if (bytes === 0) continue;
    const info = await stat(file);
    pendingBytes += bytes;
    oldest ??= info.mtimeMs;
  }
  return {
    serverRunning: false,
    pendingBytes,
    usedRatio: Math.round((pendingBytes / DEFAULT_SPOOL_MAX_BYTES) * 10_000) / 10_000,
    ...(oldest !== undefined ? { lagMs: Math.max(0, Math.round(now - oldest)) } : {}),
  };
}
