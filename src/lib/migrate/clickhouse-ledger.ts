import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { UserError } from '../cli/errors.js';
import type { ClickHouseStore } from '../storage/clickhouse/types.js';
import { splitStatements, type MigrationFile } from './files.js';
import type { AppliedMigration, Ledger, LedgerSession } from './ledger.js';

/**
 * ClickHouse has no transactions: the ledger is an append-only MergeTree log of up/down steps whose
 * latest row per version tells the state; migration SQL uses IF [NOT] EXISTS so a step interrupted
 * half-way can simply run again.
 */
const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    direction Enum8('up' = 1, 'down' = 2),
    at DateTime64(6),
    run_id String
)
ENGINE = MergeTree
ORDER BY (version, at)
SETTINGS non_replicated_deduplication_window = 1000`;

/**
 * The lock is a table: CREATE TABLE without IF NOT EXISTS either creates it or fails, atomically,
 * on every ClickHouse. Its one row says who holds it.
 */
const LOCK_TABLE = 'schema_migrations_lock';

export interface ClickHouseLedgerOptions {
  /** How long to wait for another migration run to finish. */
  lockTimeoutMs?: number;
  /** Take over a lock left behind by a crashed run. */
  breakLock?: boolean;
}

async function readApplied(db: ClickHouseStore): Promise<AppliedMigration[]> {
  const present = await db.query<{ n: string }>(
    'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    { db: db.database, table: 'schema_migrations' },
  );
  if (Number(present[0]?.n ?? 0) === 0) return [];
  const rows = await db.query<{ version: number; last_name: string; last_checksum: string; last_at: string }>(
    `SELECT version, argMax(name, at) AS last_name, argMax(checksum, at) AS last_checksum,
            argMax(direction, at) AS last_direction, max(at) AS last_at
     FROM schema_migrations GROUP BY version HAVING last_direction = 'up' ORDER BY version`,
  );
  return rows.map((r) => ({
    version: Number(r.version),
    name: r.last_name,
    checksum: r.last_checksum,
    appliedAt: new Date(`${r.last_at.replace(' ', 'T')}Z`).toISOString(),
  }));
}

function isAlreadyExists(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${(error as { code?: string }).code ?? ''}` : String(error);
  return /already exists|TABLE_ALREADY_EXISTS|\b57\b/.test(text);
}

async function acquireLock(db: ClickHouseStore, runId: string, options: ClickHouseLedgerOptions): Promise<void> {
  if (options.breakLock) await db.command(`DROP TABLE IF EXISTS ${LOCK_TABLE}`);
  const deadline = Date.now() + (options.lockTimeoutMs ?? 120_000);
  for (;;) {
    try {
      await db.command(`CREATE TABLE ${LOCK_TABLE} (run_id String, host String, pid UInt32, at DateTime) ENGINE = TinyLog`);
      await db.command(`INSERT INTO ${LOCK_TABLE} VALUES ({run:String}, {host:String}, {pid:UInt32}, now())`, {
        run: runId,
        host: hostname(),
        pid: process.pid,
      });
      return;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    if (Date.now() > deadline) {
      const holder = await db
        .query<{ host: string; pid: number; at: string }>(`SELECT host, pid, at FROM ${LOCK_TABLE} LIMIT 1`)
        .catch(() => []);
      const who = holder[0] ? ` by ${holder[0].host} pid ${holder[0].pid} since ${holder[0].at} UTC` : '';
      throw new UserError(`ClickHouse migrations are locked${who}; another migration is running or crashed`, {
        code: 'MIGRATION_LOCKED',
        actions: [
          'wait for the other `analytics db migrate` to finish',
          'if it crashed: analytics db migrate --break-lock',
        ],
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function clickhouseLedger(db: ClickHouseStore, options: ClickHouseLedgerOptions = {}): Ledger {
  // INSERT ... SELECT is never an async insert, so the row is visible as soon as this returns.
  const record = (m: MigrationFile, direction: 'up' | 'down', runId: string) =>
    db.command(
      `INSERT INTO schema_migrations (version, name, checksum, direction, at, run_id)
       SELECT {version:UInt32}, {name:String}, {checksum:String}, {direction:String}, now64(6), {run:String}`,
      { version: m.version, name: m.name, checksum: m.checksum, direction, run: runId },
    );
  return {
    store: 'clickhouse',
    applied: () => readApplied(db),
    async withLock(fn) {
      const runId = randomUUID();
      await db.command(CREATE_LEDGER);
      await acquireLock(db, runId, options);
      try {
        const session: LedgerSession = {
          applied: () => readApplied(db),
          async apply(m) {
            for (const statement of splitStatements(m.upSql)) await db.command(statement);
            await record(m, 'up', runId);
          },
          async revert(m) {
            for (const statement of splitStatements(m.downSql)) await db.command(statement);
            await record(m, 'down', runId);
          },
        };
        return await fn(session);
      } finally {
        await db.command(`DROP TABLE IF EXISTS ${LOCK_TABLE}`);
      }
    },
  };
}
