import type { PostgresQueryable, PostgresStore } from '../storage/postgres/index.js';
import type { MigrationFile } from './files.js';
import type { AppliedMigration, Ledger, LedgerSession } from './ledger.js';

/** Arbitrary but fixed: every `analytics db migrate` against one database contends for this key. */
const MIGRATION_LOCK_KEY = 7_305_811_433_112_001n;

const CREATE_LEDGER = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function readApplied(db: PostgresQueryable): Promise<AppliedMigration[]> {
  const exists = await db.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!exists[0]?.present) return [];
  const rows = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
  );
  return rows.map((r) => ({
    version: Number(r.version),
    name: r.name,
    checksum: r.checksum,
    appliedAt: new Date(r.applied_at).toISOString(),
  }));
}

/** Postgres: one transaction per migration (DDL included), all under a session advisory lock. */
export function postgresLedger(db: PostgresStore): Ledger {
  return {
    store: 'postgres',
    applied: () => readApplied(db),
    withLock: (fn) =>
      db.withAdvisoryLock(MIGRATION_LOCK_KEY, async (conn) => {
        await conn.exec(CREATE_LEDGER);
        const session: LedgerSession = {
          applied: () => readApplied(conn),
          apply: (m: MigrationFile) =>
            conn.transaction(async (tx) => {
              await tx.exec(m.upSql);
              await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
                m.version,
                m.name,
                m.checksum,
              ]);
            }),
          revert: (m: MigrationFile) =>
            conn.transaction(async (tx) => {
              await tx.exec(m.downSql);
              await tx.query('DELETE FROM schema_migrations WHERE version = $1', [m.version]);
            }),
        };
        return fn(session);
      }),
  };
}
