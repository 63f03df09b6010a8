import type { IngestCounters } from '../ingest/drop-reasons.js';
import type { Flusher, Spool } from '../spool/index.js';
import type { OpenedStores } from '../storage/open.js';

export type HealthStatus = 'ok' | 'warning' | 'critical';

export interface ComponentHealth {
  status: HealthStatus;
  latencyMs?: number;
  error?: string;
}

export interface ServerHealth {
  status: HealthStatus;
  postgres: ComponentHealth;
  clickhouse: ComponentHealth;
  ingest: ComponentHealth & {
    spool: { pendingBytes: number; pendingRecords: number; usedRatio: number; oldestRecordAgeMs?: number };
    flusher: { lastFlushAt?: string; lastError?: string; consecutiveFailures: number; lagMs?: number };
    counters: ReturnType<IngestCounters['snapshot']>;
  };
}

/** The spool warns at 50 % and is critical at 90 %: long before events would be refused. */
const SPOOL_WARNING_RATIO = 0.5;
const SPOOL_CRITICAL_RATIO = 0.9;

async function probe(run: () => Promise<unknown>, timeoutMs = 2000): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'critical', error: error instanceof Error ? error.message : String(error) };
  }
}

const worst = (...statuses: HealthStatus[]): HealthStatus =>
  statuses.includes('critical') ? 'critical' : statuses.includes('warning') ? 'warning' : 'ok';

export async function serverHealth(deps: {
  stores: OpenedStores;
  spool: Spool;
  flusher: Flusher;
  counters: IngestCounters;
}): Promise<ServerHealth> {
  const [postgres, clickhouse] = await Promise.all([
    probe(() => deps.stores.postgres.query('SELECT 1 AS ok')),
    probe(() => deps.stores.clickhouse.query('SELECT 1 AS ok')),
  ]);
  const spool = deps.spool.stats();
  const flusher = deps.flusher.status();
  const spoolStatus: HealthStatus =
    spool.usedRatio >= SPOOL_CRITICAL_RATIO ? 'critical' : spool.usedRatio >= SPOOL_WARNING_RATIO || flusher.consecutiveFailures > 0 ? 'warning' : 'ok';
  const ingest = {
    status: spoolStatus,
    ...(flusher.lastError ? { error: `flushing to ClickHouse fails: ${flusher.lastError.message}` } : {}),
    spool: {
      pendingBytes: spool.pendingBytes,
      pendingRecords: spool.pendingRecords,
      usedRatio: Math.round(spool.usedRatio * 10_000) / 10_000,
      ...(spool.oldestRecordAt ? { oldestRecordAgeMs: Date.now() - spool.oldestRecordAt } : {}),
    },
    flusher: {
      ...(flusher.lastFlushAt ? { lastFlushAt: new Date(flusher.lastFlushAt).toISOString() } : {}),
      ...(flusher.lastError ? { lastError: flusher.lastError.message } : {}),
      consecutiveFailures: flusher.consecutiveFailures,
      ...(flusher.lagMs !== undefined ? { lagMs: flusher.lagMs } : {}),
    },
    counters: deps.counters.snapshot(),
  };
  return { status: worst(postgres.status, clickhouse.status, ingest.status), postgres, clickhouse, ingest };
}
