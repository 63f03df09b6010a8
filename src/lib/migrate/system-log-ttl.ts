import type { ClickHouseStore } from '../storage/clickhouse/index.js';

/** Days of ClickHouse's own logs kept: enough to debug last week, small enough never to fill a disk. */
export const SYSTEM_LOG_TTL_DAYS = 7;

/**
 * ClickHouse servers keep query/trace/part logs forever by default, and on Plausible installs those
 * tables grow to most of the disk. Give every existing system log table a TTL (the compose template's
 * config does the same for tables created later). chDB runs inside our process and keeps no such logs.
 */
export async function applySystemLogTtl(store: ClickHouseStore): Promise<string[]> {
  if (store.kind !== 'clickhouse') return [];
  const tables = await store.query<{ name: string }>(
    `SELECT name FROM system.tables
     WHERE database = 'system' AND name LIKE '%\\_log' AND engine LIKE '%MergeTree'`,
  ).catch(() => [] as { name: string }[]);
  const changed: string[] = [];
  for (const { name } of tables) {
    if (!/^[a-z_]+$/.test(name)) continue;
    try {
      await store.command(
        `ALTER TABLE system.${name} MODIFY TTL event_date + INTERVAL ${SYSTEM_LOG_TTL_DAYS} DAY`,
      );
      changed.push(name);
    } catch {
      // A log table without event_date (or a read-only user) keeps its settings; the config file covers it.
    }
  }
  return changed;
}
