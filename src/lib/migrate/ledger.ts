import type { MigrationFile, StoreName } from './files.js';

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: string;
}

/** One locked session on a store's ledger: nothing else migrates this store until it ends. */
export interface LedgerSession {
  applied(): Promise<AppliedMigration[]>;
  /** Runs the migration's up SQL and records it (atomically where the store has transactions). */
  apply(migration: MigrationFile): Promise<void>;
  /** Runs the down SQL and records the rollback. */
  revert(migration: MigrationFile): Promise<void>;
}

export interface Ledger {
  readonly store: StoreName;
  /** Applied migrations without taking the lock (status). */
  applied(): Promise<AppliedMigration[]>;
  withLock<T>(fn: (session: LedgerSession) => Promise<T>): Promise<T>;
}
