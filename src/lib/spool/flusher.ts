/**
 * Moves sealed spool segments into the sink (ClickHouse), oldest first.
 *
 * Every `intervalMs`, or as soon as `maxRows` rows wait that no cycle took yet, a cycle seals the segment being
 * written and inserts each sealed segment's events and sessions in chunks. Every chunk carries a
 * deduplication token derived only from (spool id, segment, table, chunk index), so whatever a
 * crash interrupts — an insert whose answer was lost, a segment inserted but not yet deleted — is
 * replayed as the very same blocks and ClickHouse drops the copies. A segment is deleted only
 * after every chunk of it was confirmed. When the sink fails, the cycle stops at that segment and is
 * retried with capped exponential backoff; the spool meanwhile grows (bounded by its maxBytes).
 */
import { segmentStem } from './segment-files.js';
import type { SpoolSink } from './sink.js';
import type { Spool } from './spool.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 5_000;
/** Event + session rows (~3 per request); see docs/decisions.md ("Flush batches") before changing it. */
export const DEFAULT_FLUSH_MAX_ROWS = 100_000;
/**
 * Rows per insert. Part of the replay contract: a segment must be cut into the same chunks when it is
 * replayed, so change it only with an empty spool. One segment (32 MiB) is usually a single chunk per table.
 */
export const DEFAULT_CHUNK_ROWS = 100_000;

export interface FlusherRetryOptions {
  /** First delay after a failed cycle. Default 1 s. */
  initialDelayMs?: number;
  /** The delay doubles per consecutive failure up to this. Default 30 s. */
  maxDelayMs?: number;
}

export interface FlusherOptions {
  spool: Spool;
  sink: SpoolSink;
  /** CLICKHOUSE_FLUSH_INTERVAL_MS. */
  intervalMs?: number;
  /** CLICKHOUSE_MAX_BUFFER_SIZE: pending rows that trigger a flush before the interval is up. */
  maxRows?: number;
  /** See DEFAULT_CHUNK_ROWS before changing. */
  chunkRows?: number;
  retry?: FlusherRetryOptions;
  /** Told about every failed cycle (log it); the flusher retries on its own. */
  onError?: (error: unknown, context: { segment: string | undefined; consecutiveFailures: number }) => void;
  now?: () => number;
}

export interface FlusherStatus {
  /** Between start() and stop(). */
  running: boolean;
  /** When a cycle last completed with everything sealed so far delivered. */
  lastFlushAt?: number;
  /** The latest failure; kept after recovery, compare `at` with lastFlushAt. */
  lastError?: { message: string; segment?: string; at: number };
  /** 0 when healthy; health turns to a warning as soon as this is > 0. */
  consecutiveFailures: number;
  nextRetryAt?: number;
  /** Age of the oldest record still in the spool: how far ClickHouse lags behind ingestion. */
  lagMs?: number;
  flushedSegments: number;
  flushedEvents: number;
  flushedSessions: number;
  /** A backup or restore holds the flusher (see hold()): nothing may be written to ClickHouse now. */
  held: boolean;
  /** Bytes of records torn by a crash, found at the end of replayed segments and ignored. */
  tornTailBytes: number;
  /** Damaged lines found in replayed segments and skipped. */
  corruptLines: number;
}

export interface FlushResult {
  /** Everything acknowledged before flush() was called is now in the sink. */
  flushed: boolean;
  /** Records still in the spool (appended during the flush, or not delivered before the timeout). */
  pendingRecords: number;
  lastError?: string;
}

class SegmentFlushError extends Error {
  constructor(
    readonly segment: string,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original), { cause: original });
  }
}

export class Flusher {
  private readonly spool: Spool;
  private readonly sink: SpoolSink;
  private readonly intervalMs: number;
  private readonly maxRows: number;
  /** Rows of the segments the running cycle took: already on their way, so no reason for another cycle. */
  private takenRows = 0;
  private readonly chunkRows: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly onError: FlusherOptions['onError'];
  private readonly now: () => number;

  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private cycling: Promise<boolean> | undefined;
  /** A trigger arrived while a cycle ran: run another right after it. */
  private again = false;
  private unsubscribe: (() => void) | undefined;
  /** While > 0 (a backup or restore reads ClickHouse), no cycle starts on its own; events wait in the spool. */
  private holds = 0;

  private lastFlushAt: number | undefined;
  private lastError: FlusherStatus['lastError'];
  private consecutiveFailures = 0;
  private nextRetryAt: number | undefined;
  private flushedSegments = 0;
  private flushedEvents = 0;
  private flushedSessions = 0;
  private tornTailBytes = 0;
  private corruptLines = 0;

  constructor(options: FlusherOptions) {
    this.spool = options.spool;
    this.sink = options.sink;
    this.intervalMs = options.intervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.maxRows = options.maxRows ?? DEFAULT_FLUSH_MAX_ROWS;
    this.chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    this.initialDelayMs = options.retry?.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
    this.onError = options.onError;
    this.now = options.now ?? Date.now;
  }

  /** Starts the timer and the row trigger, and replays at once whatever a previous process left. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    // Rows a running cycle took do not count: its segments stay pending until removed, and counting them
    // asked for a second cycle right after, sealing a sliver (one more part for ClickHouse to merge).
    // Segments sealed by size and not yet taken do count.
    this.unsubscribe = this.spool.onAppend(() => {
      if (this.consecutiveFailures === 0 && this.spool.pendingRows - this.takenRows >= this.maxRows) this.tick();
    });
    this.tick();
    return this;
  }

  /**
   * Delivers everything acknowledged so far (SIGTERM: stop accepting requests, flush, exit). While the
   * sink fails it keeps retrying with backoff until `timeoutMs`; what is left stays in the spool and is
   * replayed on the next start, so a timeout loses nothing.
   */
  async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    const deadline = this.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
    for (;;) {
      if (await this.runCycle()) return { flushed: true, pendingRecords: this.spool.stats().pendingRecords };
      const delay = this.backoffDelay();
      if (this.stopped || this.now() + delay > deadline) {
        return {
          flushed: false,
          pendingRecords: this.spool.stats().pendingRecords,
          ...(this.lastError ? { lastError: this.lastError.message } : {}),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * Flushes everything acknowledged so far, then runs fn while no further cycle writes to the sink:
   * a backup reads ClickHouse at this watermark; events arriving meanwhile stay durable in the spool
   * and are delivered once fn returns. Fails (without running fn) when the flush cannot complete.
   */
  async hold<T>(fn: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    this.holds += 1;
    try {
      const flushed = await this.flush({ timeoutMs: options.timeoutMs ?? 60_000 });
      if (!flushed.flushed) {
        throw new Error(`the ingest spool could not be flushed to ClickHouse: ${flushed.lastError ?? 'timed out'}`);
      }
      while (this.cycling) await this.cycling;
      return await fn();
    } finally {
      this.holds -= 1;
      if (this.holds === 0) this.tick();
    }
  }

  /** Stops the timer and waits for a running cycle; does not close the spool. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.unsubscribe?.();
    while (this.cycling) await this.cycling;
  }

  status(): FlusherStatus {
    const oldest = this.spool.stats().oldestRecordAt;
    return {
      running: this.started && !this.stopped,
      ...(this.lastFlushAt === undefined ? {} : { lastFlushAt: this.lastFlushAt }),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      consecutiveFailures: this.consecutiveFailures,
      ...(this.nextRetryAt === undefined ? {} : { nextRetryAt: this.nextRetryAt }),
      ...(oldest === undefined ? {} : { lagMs: Math.max(0, this.now() - oldest) }),
      flushedSegments: this.flushedSegments,
      flushedEvents: this.flushedEvents,
      flushedSessions: this.flushedSessions,
      held: this.holds > 0,
      tornTailBytes: this.tornTailBytes,
      corruptLines: this.corruptLines,
    };
  }

  private tick(): void {
    if (this.stopped || this.holds > 0) return;
    if (this.cycling) {
      this.again = true;
      return;
    }
    void this.runCycle();
  }

  /** Runs one cycle, after the one in progress if any; cycles never overlap. */
  private runCycle(): Promise<boolean> {
    if (this.cycling) return this.cycling.then(() => this.runCycle());
    this.clearTimer();
    this.cycling = this.cycle().then((ok) => {
      this.cycling = undefined;
      this.scheduleNext(ok);
      return ok;
    });
    return this.cycling;
  }

  private scheduleNext(ok: boolean): void {
    if (!this.started || this.stopped) return;
    if (ok && this.again) {
      this.again = false;
      setImmediate(() => this.tick());
      return;
    }
    this.again = false;
    const delay = ok ? this.intervalMs : this.backoffDelay();
    this.nextRetryAt = ok ? undefined : this.now() + delay;
    this.timer = setTimeout(() => this.tick(), delay);
    // The spool, not this timer, is what must keep the process alive.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private backoffDelay(): number {
    const exponent = Math.max(0, this.consecutiveFailures - 1);
    return Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(exponent, 30));
  }

  /** True when every segment sealed during this cycle reached the sink. Never throws. */
  private async cycle(): Promise<boolean> {
    try {
      // The backlog first, and only then seal more: during an outage the segment being written keeps
      // growing (up to its size limit) instead of one tiny segment being cut per retry.
      this.takenRows = this.spool.pendingRows - this.spool.unsealedRows;
      for (const segment of this.spool.sealedSegments()) await this.flushSegment(segment.name);
      const sealed = await this.spool.seal();
      this.takenRows = this.spool.pendingRows - this.spool.unsealedRows;
      for (const segment of sealed) await this.flushSegment(segment.name);
      this.lastFlushAt = this.now();
      this.consecutiveFailures = 0;
      this.nextRetryAt = undefined;
      return true;
    } catch (error) {
      this.consecutiveFailures += 1;
      const segment = error instanceof SegmentFlushError ? error.segment : undefined;
      const original = error instanceof SegmentFlushError ? error.original : error;
      this.lastError = {
        message: original instanceof Error ? original.message : String(original),
        ...(segment ? { segment } : {}),
        at: this.now(),
      };
      this.onError?.(original, { segment, consecutiveFailures: this.consecutiveFailures });
      return false;
    } finally {
      this.takenRows = 0;
    }
  }

  private async flushSegment(name: string): Promise<void> {
    try {
      const contents = await this.spool.readSegmentRows(name);
      const { events, sessions } = contents;
      const tokenPrefix = `${this.spool.id}:${segmentStem(name)}`;
      for (const [index, from, to] of chunksOf(events.count, this.chunkRows)) {
        await this.sink.insertRows('events', events.lines(from, to), { deduplicationToken: `${tokenPrefix}:events:${index}` });
      }
      for (const [index, from, to] of chunksOf(sessions.count, this.chunkRows)) {
        await this.sink.insertRows('sessions', sessions.lines(from, to), { deduplicationToken: `${tokenPrefix}:sessions:${index}` });
      }
      const [eventCount, sessionCount] = [events.count, sessions.count];
      await this.spool.removeSegment(name);
      this.flushedSegments += 1;
      this.flushedEvents += eventCount;
      this.flushedSessions += sessionCount;
      this.tornTailBytes += contents.tornTailBytes;
      this.corruptLines += contents.corruptLines;
    } catch (error) {
      throw new SegmentFlushError(name, error);
    }
  }
}

/** [chunk index, first row, end row) over `rows` rows, `size` at a time. */
function* chunksOf(rows: number, size: number): Generator<[number, number, number]> {
  for (let start = 0, index = 0; start < rows; start += size, index += 1) {
    yield [index, start, Math.min(start + size, rows)];
  }
}

