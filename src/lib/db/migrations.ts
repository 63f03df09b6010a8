import path from 'node:path';
import { ActionNeededError, UsageError } from '../cli/errors.js';
import { clickhouseLedger } from '../migrate/clickhouse-ledger.js';
import { MIGRATIONS_ROOT, loadMigrations, type StoreName } from '../migrate/files.js';
import type { Ledger } from '../migrate/ledger.js';
import { postgresLedger } from '../migrate/postgres-ledger.js';
import {
  migrateDown,
  migrateUp,
  migrationStatus,
  type ProgressListener,
  type StoreMigrationRun,
  type StoreMigrationStatus,
} from '../migrate/runner.js';
import { applySystemLogTtl } from '../migrate/system-log-ttl.js';
import type { OpenedStores } from '../storage/open.js';
import { includes, type StoreChoice } from './connect.js';

export interface MigrationsOptions {
  store: StoreChoice;
  /** Defaults to the package's migrations/ (tests point it at fixtures). */
  migrationsRoot?: string;
  breakLock?: boolean;
  lockTimeoutMs?: number;
}

function ledgers(stores: OpenedStores, options: MigrationsOptions): { ledger: Ledger; store: StoreName }[] {
  const list: { ledger: Ledger; store: StoreName }[] = [];
  if (includes(options.store, 'postgres')) {
    list.push({ store: 'postgres', ledger: postgresLedger(stores.postgres) });
  }
  if (includes(options.store, 'clickhouse')) {
    list.push({
      store: 'clickhouse',
      ledger: clickhouseLedger(stores.clickhouse, { breakLock: options.breakLock, lockTimeoutMs: options.lockTimeoutMs }),
    });
  }
  return list;
}

const filesOf = (store: StoreName, options: MigrationsOptions) =>
  loadMigrations(path.join(options.migrationsRoot ?? MIGRATIONS_ROOT, store));

export interface DbStatusResult {
  upToDate: boolean;
  pending: number;
  stores: StoreMigrationStatus[];
}

export async function statusOfStores(stores: OpenedStores, options: MigrationsOptions): Promise<DbStatusResult> {
  const list: StoreMigrationStatus[] = [];
  for (const { store, ledger } of ledgers(stores, options)) list.push(await migrationStatus(ledger, filesOf(store, options)));
  const pending = list.reduce((n, s) => n + s.pending.length, 0);
  return { upToDate: pending === 0 && list.every((s) => s.edited.length === 0), pending, stores: list };
}

export interface DbMigrateResult {
  dryRun: boolean;
  applied: number;
  stores: StoreMigrationRun[];
  /** Applied migrations whose files changed since; reported, never re-run. */
  edited: { store: StoreName; version: number; name: string }[];
}

export async function migrateStores(
  stores: OpenedStores,
  options: MigrationsOptions & { to?: number; dryRun?: boolean; onStep?: ProgressListener },
): Promise<DbMigrateResult> {
  if (options.to !== undefined && options.store === 'all') {
    throw new UsageError('--to needs --store postgres or --store clickhouse: the stores number their migrations separately');
  }
  const runs: StoreMigrationRun[] = [];
  const edited: DbMigrateResult['edited'] = [];
  for (const { store, ledger } of ledgers(stores, options)) {
    const files = filesOf(store, options);
    const run = await migrateUp(ledger, files, { to: options.to, dryRun: options.dryRun, onStep: options.onStep });
    runs.push(run);
    if (!options.dryRun) {
      const status = await migrationStatus(ledger, files);
      edited.push(...status.edited.map((e) => ({ store, ...e })));
    }
    if (store === 'clickhouse' && !options.dryRun) await applySystemLogTtl(stores.clickhouse);
  }
  return { dryRun: Boolean(options.dryRun), applied: runs.reduce((n, r) => n + r.steps.length, 0), stores: runs, edited };
}

export async function rollbackStores(
  stores: OpenedStores,
  options: MigrationsOptions & { steps: number; dryRun?: boolean; onStep?: ProgressListener },
): Promise<DbMigrateResult> {
  const runs: StoreMigrationRun[] = [];
  // Newest data first: ClickHouse, then Postgres, the reverse of migrate.
  for (const { store, ledger } of ledgers(stores, options).reverse()) {
    runs.push(await migrateDown(ledger, filesOf(store, options), { steps: options.steps, dryRun: options.dryRun, onStep: options.onStep }));
  }
  return { dryRun: Boolean(options.dryRun), applied: runs.reduce((n, r) => n + r.steps.length, 0), stores: runs, edited: [] };
}

/** For commands that need the schema: fail with exit 4 and the command to run when migrations are pending. */
export async function requireMigrated(stores: OpenedStores): Promise<void> {
  const status = await statusOfStores(stores, { store: 'all' });
  if (status.pending > 0) {
    throw new ActionNeededError(`${status.pending} migration(s) are pending`, {
      code: 'MIGRATIONS_PENDING',
      actions: ['analytics db migrate'],
    });
  }
}
