/**
 * Checks that need only the stores: reachability and version of each, migrations, the salt rotation
 * and ClickHouse's own log tables. The running server runs them on its open stores (admin socket);
 * without a server, `analytics health` opens the stores and runs the very same functions.
 */
import { statusOfStores } from '../db/migrations.js';
import { mailHealth } from '../mail/health.js';
import type { OpenedStores } from '../storage/open.js';
import { formatBytes, formatDuration } from './format.js';
import { errorText, notOk, ok, type CheckOutcome } from './types.js';

export type StoreCheckName = 'postgres' | 'clickhouse' | 'migrations' | 'salt' | 'system-logs' | 'mail';
export type StoreCheck = (stores: OpenedStores, options?: { now?: number }) => Promise<CheckOutcome>;

/** A store that takes longer than this for `SELECT version()` is in trouble (swap, lock waits, network). */
export const SLOW_STORE_MS = 1_000;

function where(stores: OpenedStores, store: 'postgres' | 'clickhouse'): string {
  const d = stores.description[store];
  if (d.kind === 'pglite' || d.kind === 'chdb') return d.path;
  return 'invalidUrl' in d ? 'an invalid URL' : `${d.host}:${d.port}`;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const once = async () => {
    const started = performance.now();
    const result = await fn();
    return { result, ms: Math.round(performance.now() - started) };
  };
  const first = await once();
  // The first query on a store just opened pays for its start-up (chDB loads its engine): ask again
  // before calling the store slow.
  return first.ms > SLOW_STORE_MS ? once() : first;
}

export const postgresCheck: StoreCheck = async (stores) => {
  const label = stores.postgres.kind === 'pglite' ? 'PGlite' : 'PostgreSQL';
  try {
    const { result, ms } = await timed(() => stores.postgres.query<{ version: string }>('SELECT version() AS version'));
    const version = /PostgreSQL ([\d.]+)/.exec(result[0]?.version ?? '')?.[1] ?? 'unknown';
    const value = `${label} ${version}, ${ms} ms`;
    const details = { kind: stores.postgres.kind, version, latencyMs: ms, at: where(stores, 'postgres') };
    if (ms > SLOW_STORE_MS) {
      return notOk('WARNING', value, `${label} took ${ms} ms to answer`, 'look at the database host: load, memory, disk (analytics health --check disk)', details);
    }
    return ok(value, details);
  } catch (error) {
    return notOk(
      'CRITICAL',
      'unreachable',
      `${label} at ${where(stores, 'postgres')} does not answer: ${errorText(error)}`,
      stores.postgres.kind === 'pglite' ? 'analytics start   (the server owns the embedded stores)' : `start PostgreSQL at ${where(stores, 'postgres')} (systemctl start postgresql, or analytics compose up)`,
    );
  }
};

export const clickhouseCheck: StoreCheck = async (stores) => {
  const label = stores.clickhouse.kind === 'chdb' ? 'chDB' : 'ClickHouse';
  try {
    const { result, ms } = await timed(() => stores.clickhouse.query<{ version: string }>('SELECT version() AS version'));
    const version = result[0]?.version ?? 'unknown';
    const value = `${label} ${version}, ${ms} ms`;
    const details = { kind: stores.clickhouse.kind, version, latencyMs: ms, at: where(stores, 'clickhouse') };
    if (ms > SLOW_STORE_MS) {
      return notOk('WARNING', value, `${label} took ${ms} ms to answer`, 'look at the ClickHouse host: load, memory, merges (analytics health --check disk)', details);
    }
    return ok(value, details);
  } catch (error) {
    return notOk(
      'CRITICAL',
      'unreachable',
      `${label} at ${where(stores, 'clickhouse')} does not answer: ${errorText(error)}`,
      stores.clickhouse.kind === 'chdb' ? 'analytics start' : `start ClickHouse at ${where(stores, 'clickhouse')} (analytics compose up)`,
    );
  }
};

const label = (store: string, m: { version: number; name: string }) => `${store}/${String(m.version).padStart(4, '0')}_${m.name}`;

export const migrationsCheck: StoreCheck = async (stores) => {
  const status = await statusOfStores(stores, { store: 'all' });
  const heads = Object.fromEntries(status.stores.map((s) => [s.store, s.head]));
  const value = status.stores.map((s) => `${s.store} ${s.head}${s.pending.length ? ` (+${s.pending.length} pending)` : ''}`).join(', ');
  const details = {
    heads,
    pending: status.stores.flatMap((s) => s.pending.map((m) => label(s.store, m))),
    edited: status.stores.flatMap((s) => s.edited.map((m) => label(s.store, m))),
    unknown: status.stores.flatMap((s) => s.unknown.map((m) => label(s.store, m))),
  };
  if (details.unknown.length > 0) {
    return notOk(
      'CRITICAL',
      value,
      `The databases have migrations this version of analytics does not know (${details.unknown.join(', ')}): they were migrated by a newer version`,
      'run the analytics version that migrated them (or restore a backup made with this one: analytics restore)',
      details,
    );
  }
  if (details.pending.length > 0) {
    return notOk('WARNING', value, `${details.pending.length} migration(s) are pending: ${details.pending.join(', ')}`, 'analytics db migrate', details);
  }
  if (details.edited.length > 0) {
    return notOk('WARNING', value, `Applied migrations whose files changed since: ${details.edited.join(', ')}`, 'analytics db status', details);
  }
  return ok(value, details);
};

/** The server rotates at UTC midnight and checks every 5 minutes: a day plus margin is normal. */
export const SALT_WARNING_MS = 25 * 3_600_000;
/** Two missed rotations: yesterday's visitor ids could be recomputed, the privacy promise is broken. */
export const SALT_CRITICAL_MS = 49 * 3_600_000;

export const saltCheck: StoreCheck = async (stores, options = {}) => {
  let row: { newest: Date | string | null; n: string | number } | undefined;
  try {
    [row] = await stores.postgres.query<{ newest: Date | string | null; n: string | number }>(
      'SELECT max(created_at) AS newest, count(*) AS n FROM salts',
    );
  } catch (error) {
    if (/relation "salts" does not exist/.test(errorText(error))) {
      return notOk('UNKNOWN', 'no salts table', 'The salts table does not exist yet: the migrations are pending', 'analytics db migrate');
    }
    throw error;
  }
  if (!row?.newest) {
    return notOk('WARNING', 'no salt', 'There is no daily salt yet; the server creates one when it starts', 'analytics start');
  }
  const ageMs = (options.now ?? Date.now()) - new Date(row.newest).getTime();
  const value = `rotated ${formatDuration(ageMs)} ago`;
  const details = { ageSeconds: Math.round(ageMs / 1000), rotatedAt: new Date(row.newest).toISOString(), salts: Number(row.n) };
  if (ageMs > SALT_CRITICAL_MS) {
    return notOk('CRITICAL', value, 'The daily salt has not rotated for two days: visitor ids stay linkable across days', 'check that the server runs (analytics health --check server) and its log for "salt rotation failed"', details);
  }
  if (ageMs > SALT_WARNING_MS) {
    return notOk('WARNING', value, 'The daily salt missed its rotation at midnight UTC', 'check that the server runs (analytics health --check server) and its log for "salt rotation failed"', details);
  }
  return ok(value, details);
};

/** ClickHouse's query/trace/part logs: Plausible installs lose whole disks to them. */
export const SYSTEM_LOGS_WARNING_BYTES = 1024 ** 3;
export const SYSTEM_LOGS_CRITICAL_BYTES = 5 * 1024 ** 3;

export function classifySystemLogs(
  tables: { table: string; bytes: number }[],
  thresholds = { warning: SYSTEM_LOGS_WARNING_BYTES, critical: SYSTEM_LOGS_CRITICAL_BYTES },
  note?: string,
): CheckOutcome {
  const total = tables.reduce((sum, t) => sum + t.bytes, 0);
  const largest = [...tables].sort((a, b) => b.bytes - a.bytes)[0];
  const value = `${formatBytes(total)}${largest && largest.bytes > 0 ? ` (largest system.${largest.table} ${formatBytes(largest.bytes)})` : ''}${note ? ` ${note}` : ''}`;
  const details = { bytes: total, tables: Object.fromEntries(tables.map((t) => [t.table, t.bytes])) };
  const next = `analytics db migrate   (gives every system log table a 7-day TTL), then TRUNCATE TABLE system.${largest?.table ?? 'query_log'} if it is still large`;
  if (total >= thresholds.critical) return notOk('CRITICAL', value, `ClickHouse's own log tables take ${formatBytes(total)}`, next, details);
  if (total >= thresholds.warning) return notOk('WARNING', value, `ClickHouse's own log tables take ${formatBytes(total)}`, next, details);
  return ok(value, details);
}

export const systemLogsCheck: StoreCheck = async (stores) => {
  const rows = await stores.clickhouse.query<{ table: string; bytes: string }>(
    `SELECT table, sum(bytes_on_disk) AS bytes FROM system.parts
     WHERE database = 'system' AND active AND table LIKE '%\\_log%'
     GROUP BY table`,
  );
  const tables = rows.map((r) => ({ table: r.table, bytes: Number(r.bytes) }));
  return classifySystemLogs(tables, undefined, stores.clickhouse.kind === 'chdb' && tables.length === 0 ? '(chDB keeps no system logs)' : undefined);
};

export const STORE_CHECKS: Record<StoreCheckName, StoreCheck> = {
  postgres: postgresCheck,
  clickhouse: clickhouseCheck,
  migrations: migrationsCheck,
  salt: saltCheck,
  'system-logs': systemLogsCheck,
  // Reached only with MAILER_ADAPTER=smtp (see the mail entry of HEALTH_CHECKS): the last send result.
  mail: (stores) => mailHealth(stores.postgres, { mailEnabled: true }),
};
