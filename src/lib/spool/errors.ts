/** Typed errors of the spool. The HTTP layer maps SpoolFullError to 503 + Retry-After. */

/** Accepting this record would push the spool past `maxBytes`; the client must retry later. */
export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
  readonly pendingBytes: number;
  readonly maxBytes: number;

  constructor(options: { pendingBytes: number; recordBytes: number; maxBytes: number }) {
    super(
      `The ingest spool is full (${options.pendingBytes} of ${options.maxBytes} bytes used, ` +
        `record of ${options.recordBytes} bytes refused): ClickHouse is not keeping up or is unreachable. ` +
        'Check `GET /api/health`; the spool drains once ClickHouse accepts inserts again.',
    );
    this.pendingBytes = options.pendingBytes;
    this.maxBytes = options.maxBytes;
  }
}

/** The spool was closed; nothing more can be appended. */
export class SpoolClosedError extends Error {
  override readonly name = 'SpoolClosedError';
  constructor(dir: string) {
    super(`The spool in ${dir} is closed.`);
  }
}

/**
 * Writing or fsyncing a segment failed. The records of that batch were not acknowledged (and were cut
 * off the segment again); `broken` says whether the spool could restore a clean tail and keeps working.
 */
export class SpoolWriteError extends Error {
  override readonly name = 'SpoolWriteError';
  readonly segment: string;
  readonly broken: boolean;

  constructor(options: { segment: string; broken: boolean; cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `Writing spool segment ${options.segment} failed: ${reason}.` +
        (options.broken
          ? ' The segment tail could not be restored; the spool refuses appends until the server restarts.'
          : ''),
      { cause: options.cause },
    );
    this.segment = options.segment;
    this.broken = options.broken;
  }
}

/** A segment holds a record written by a newer format version: refuse rather than drop it. */
export class SpoolFormatError extends Error {
  override readonly name = 'SpoolFormatError';
  constructor(segment: string, detail: string) {
    super(`Spool segment ${segment} cannot be read: ${detail}`);
  }
}
