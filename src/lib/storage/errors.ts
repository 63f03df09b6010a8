/**
 * Typed errors of the storage layer. The CLI maps them to exit codes and messages
 * (StoreUnreachableError → exit 3 with host and cause, never a stack trace).
 */

export type StoreName = 'postgres' | 'clickhouse';

/** Why a store could not be used; lets the CLI suggest the next step (e.g. `db createdb`). */
export type UnreachableReason =
  | 'invalid-url'
  | 'connection-refused'
  | 'host-not-found'
  | 'timeout'
  | 'auth-failed'
  | 'database-missing'
  | 'tls'
  | 'other';

export class StoreUnreachableError extends Error {
  override readonly name = 'StoreUnreachableError';
  readonly store: StoreName;
  /** host:port (or the data directory for embedded stores); never contains credentials. */
  readonly host: string;
  readonly reason: UnreachableReason;
  /** Human-readable cause, e.g. "connection refused" or "password authentication failed for user x". */
  override readonly cause: string;
  /** The original error, kept for debugging (`--verbose`); not part of the user-facing message. */
  readonly originalError: unknown;

  constructor(options: {
    store: StoreName;
    host: string;
    reason: UnreachableReason;
    cause: string;
    originalError?: unknown;
  }) {
    const label = options.store === 'postgres' ? 'PostgreSQL' : 'ClickHouse';
    super(`${label} at ${options.host} is unreachable: ${options.cause}`);
    this.store = options.store;
    this.host = options.host;
    this.reason = options.reason;
    this.cause = options.cause;
    this.originalError = options.originalError;
  }
}

export interface DataDirLockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  command: string;
}

/** Another process (or this one, a second time) owns DATA_DIR; opening the embedded stores would corrupt them. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  readonly dataDir: string;
  readonly lockFile: string;
  readonly owner: DataDirLockOwner;

  constructor(options: { dataDir: string; lockFile: string; owner: DataDirLockOwner }) {
    const { owner } = options;
    const where = owner.hostname ? ` on ${owner.hostname}` : '';
    super(
      `Data directory ${options.dataDir} is in use by process ${owner.pid}${where}` +
        ` (${owner.command || 'unknown command'}, started ${owner.startedAt || 'at an unknown time'}).` +
        ' Stop that process first. If it is the analytics server, run commands through the server' +
        ' instead: they reach it over its admin socket while it runs.' +
        ` If no such process exists, delete ${options.lockFile}.`,
    );
    this.dataDir = options.dataDir;
    this.lockFile = options.lockFile;
    this.owner = owner;
  }
}

/** The embedded ClickHouse (chDB) data directory is held by another process or another directory is open here. */
export class EmbeddedStoreInUseError extends Error {
  override readonly name = 'EmbeddedStoreInUseError';
  readonly path: string;

  constructor(path: string, detail: string, readonly originalError?: unknown) {
    super(`Embedded ClickHouse data directory ${path} cannot be opened: ${detail}`);
    this.path = path;
  }
}

/** A query or statement failed inside a reachable store (syntax, missing table, constraint...). */
export class StoreQueryError extends Error {
  override readonly name = 'StoreQueryError';
  readonly store: StoreName;
  /** Postgres SQLSTATE (e.g. '23505') or ClickHouse error code (e.g. '60'), when known. */
  readonly code: string | undefined;

  constructor(options: { store: StoreName; message: string; code?: string; originalError?: unknown }) {
    super(options.message, { cause: options.originalError });
    this.store = options.store;
    this.code = options.code;
  }
}
