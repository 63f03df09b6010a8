import { UserError } from '../cli/errors.js';
import { migrationLabel, type MigrationFile, type StoreName } from './files.js';
import type { AppliedMigration, Ledger } from './ledger.js';

export interface MigrationRef {
  version: number;
  name: string;
}

export interface StoreMigrationStatus {
  store: StoreName;
  applied: (MigrationRef & { appliedAt: string })[];
  pending: MigrationRef[];
  /** Applied, but the file changed since: the database may not match the file any more. */
  edited: MigrationRef[];
  /** Recorded in the ledger with no file here: the database is newer than this code. */
  unknown: MigrationRef[];
  head: number;
}

export interface MigrationStep extends MigrationRef {
  direction: 'up' | 'down';
  sql: string;
  durationMs?: number;
}

export interface StoreMigrationRun {
  store: StoreName;
  dryRun: boolean;
  steps: MigrationStep[];
  head: number;
}

export type ProgressListener = (event: { store: StoreName; step: MigrationRef; direction: 'up' | 'down' }) => void;

const ref = (m: { version: number; name: string }): MigrationRef => ({ version: m.version, name: m.name });

export function compareWithFiles(store: StoreName, files: MigrationFile[], applied: AppliedMigration[]): StoreMigrationStatus {
  const appliedByVersion = new Map(applied.map((a) => [a.version, a]));
  const fileVersions = new Set(files.map((f) => f.version));
  return {
    store,
    applied: applied.map((a) => ({ ...ref(a), appliedAt: a.appliedAt })),
    pending: files.filter((f) => !appliedByVersion.has(f.version)).map(ref),
    edited: files.filter((f) => {
      const a = appliedByVersion.get(f.version);
      return a !== undefined && a.checksum !== f.checksum;
    }).map(ref),
    unknown: applied.filter((a) => !fileVersions.has(a.version)).map(ref),
    head: applied.reduce((max, a) => Math.max(max, a.version), 0),
  };
}

export async function migrationStatus(ledger: Ledger, files: MigrationFile[]): Promise<StoreMigrationStatus> {
  return compareWithFiles(ledger.store, files, await ledger.applied());
}

/** Applies pending migrations in order up to `to` (inclusive), each one recorded as it completes. */
export async function migrateUp(
  ledger: Ledger,
  files: MigrationFile[],
  options: { to?: number; dryRun?: boolean; onStep?: ProgressListener } = {},
): Promise<StoreMigrationRun> {
  if (options.to !== undefined && !files.some((f) => f.version === options.to)) {
    throw new UserError(`There is no ${ledger.store} migration with version ${options.to}`, {
      code: 'UNKNOWN_MIGRATION',
      actions: ['analytics db status   (lists the versions)'],
    });
  }
  const plan = (applied: AppliedMigration[]) => {
    const done = new Set(applied.map((a) => a.version));
    return files.filter((f) => !done.has(f.version) && (options.to === undefined || f.version <= options.to));
  };
  if (options.dryRun) {
    const applied = await ledger.applied();
    return {
      store: ledger.store,
      dryRun: true,
      steps: plan(applied).map((m) => ({ ...ref(m), direction: 'up', sql: m.upSql })),
      head: compareWithFiles(ledger.store, files, applied).head,
    };
  }
  return ledger.withLock(async (session) => {
    // Planned under the lock: a run that waited for another sees what that one applied.
    const applied = await session.applied();
    refuseNewerDatabase(ledger.store, files, applied);
    const steps: MigrationStep[] = [];
    for (const migration of plan(applied)) {
      options.onStep?.({ store: ledger.store, step: ref(migration), direction: 'up' });
      const started = performance.now();
      await session.apply(migration);
      steps.push({ ...ref(migration), direction: 'up', sql: migration.upSql, durationMs: Math.round(performance.now() - started) });
    }
    const head = compareWithFiles(ledger.store, files, await session.applied()).head;
    return { store: ledger.store, dryRun: false, steps, head };
  });
}

/** Reverts the last `steps` applied migrations, refusing up front if any of them is irreversible. */
export async function migrateDown(
  ledger: Ledger,
  files: MigrationFile[],
  options: { steps: number; dryRun?: boolean; onStep?: ProgressListener },
): Promise<StoreMigrationRun> {
  const plan = (applied: AppliedMigration[]) => {
    const byVersion = new Map(files.map((f) => [f.version, f]));
    const targets = [...applied].sort((a, b) => b.version - a.version).slice(0, options.steps);
    return targets.map((a) => {
      const file = byVersion.get(a.version);
      if (!file) {
        throw new UserError(`${ledger.store} migration ${migrationLabel(a)} is applied but its files are missing here`, {
          code: 'MIGRATION_FILE_MISSING',
          actions: ['run the rollback with the version of analytics that applied it'],
        });
      }
      if (!file.reversible) {
        throw new UserError(
          `${ledger.store} migration ${migrationLabel(file)} is irreversible (its down file has no SQL); nothing was rolled back`,
          { code: 'IRREVERSIBLE_MIGRATION', actions: ['restore a backup taken before it: analytics restore NAME'] },
        );
      }
      return file;
    });
  };
  if (options.dryRun) {
    const applied = await ledger.applied();
    return {
      store: ledger.store,
      dryRun: true,
      steps: plan(applied).map((m) => ({ ...ref(m), direction: 'down', sql: m.downSql })),
      head: compareWithFiles(ledger.store, files, applied).head,
    };
  }
  return ledger.withLock(async (session) => {
    const steps: MigrationStep[] = [];
    for (const migration of plan(await session.applied())) {
      options.onStep?.({ store: ledger.store, step: ref(migration), direction: 'down' });
      const started = performance.now();
      await session.revert(migration);
      steps.push({ ...ref(migration), direction: 'down', sql: migration.downSql, durationMs: Math.round(performance.now() - started) });
    }
    const head = compareWithFiles(ledger.store, files, await session.applied()).head;
    return { store: ledger.store, dryRun: false, steps, head };
  });
}

function refuseNewerDatabase(store: StoreName, files: MigrationFile[], applied: AppliedMigration[]): void {
  const unknown = compareWithFiles(store, files, applied).unknown;
  if (unknown.length > 0) {
    throw new UserError(
      `The ${store} database has migrations this version of analytics does not know (${unknown.map(migrationLabel).join(', ')}); ` +
        'it was migrated by a newer version',
      { code: 'DATABASE_NEWER_THAN_CODE', actions: ['upgrade analytics before migrating'] },
    );
  }
}
