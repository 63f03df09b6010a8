/**
 * The durable spool between `POST /api/event` and ClickHouse (DESIGN §5 "Durability").
 *
 * `append` resolves only once the record's bytes are on disk, so a 202 means "on disk". Group
 * commit: one durable write (O_DSYNC, i.e. write + fdatasync) is in flight at a time; appends
 * arriving meanwhile queue up and share the next one, so a burst of N requests costs a handful of
 * disk flushes, not N.
 *
 * The newest segment is the only one written to; the flusher asks for it to be sealed and then owns
 * the sealed segments (read, insert, remove). After a crash nothing is appended to old segments
 * again: a fresh segment is started, and the old ones (torn tail included) become sealed.
 *
 * One Spool per directory: the caller holds the DATA_DIR lock (storage/data-dir-lock.ts).
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolClosedError, SpoolFullError, SpoolWriteError } from './errors.js';
import {
  appendedAtOf,
  decodePayload,
  payloadRows,
  pushRecordRows,
  scanSegment,
  segmentLines,
  withoutZeroPadding,
  type SpoolRecord,
  type StoredRecord,
  writeRecord,
} from './record.js';
import { JsonRowWriter } from './json-row-writer.js';
import { ReusableBuffer } from './reusable-buffer.js';
import { RowBlock } from './row-block.js';
import { fsyncDirectory, listSegments, readOrCreateSpoolId, segmentName } from './segment-files.js';

export const DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;
/**
 * A sealed segment is one insert per table: with the 100k-row trigger (CLICKHOUSE_MAX_BUFFER_SIZE),
 * parts big enough that merging them costs a third of what 8 MiB / 10k did. See docs/decisions.md
 * ("Flush batches") before changing it.
 */
export const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;

export interface SpoolOptions {
  /** The spool directory (DATA_DIR/spool); created when missing. */
  dir: string;
  /** Bytes on disk (plus queued) beyond which `append` rejects with SpoolFullError. Default 1 GiB. */
  maxBytes?: number;
  /** A segment is rotated once it holds this many bytes. Default 8 MiB. */
  segmentBytes?: number;
  /**
   * Makes written bytes durable. By default segments are opened with O_DSYNC, so each write returns
   * only once its bytes are on disk (write + fdatasync in one call, one thread-pool round trip instead
   * of two); a truncation is followed by fdatasync. Tests inject counters or failures here, which
   * opens segments without O_DSYNC and calls this after every write.
   */
  sync?: (file: FileHandle) => Promise<void>;
  /** Wall clock in ms, stored with each record for lag reporting. */
  now?: () => number;
}

export interface SealedSegment {
  name: string;
  bytes: number;
  records: number;
}

export interface SegmentContents {
  name: string;
  records: StoredRecord[];
  /** Bytes of a record torn by a crash at the end of the file, ignored. */
  tornTailBytes: number;
  /** Damaged complete lines, skipped. */
  corruptLines: number;
}

/** A sealed segment's rows as stored (JSONCompactEachRow lines), for the flusher. */
export interface SegmentRows {
  name: string;
  records: number;
  events: RowBlock;
  sessions: RowBlock;
  tornTailBytes: number;
  corruptLines: number;
}

export interface SpoolStats {
  /** Segment files, the one being written included. */
  segments: number;
  /** Sealed segments waiting for the flusher. */
  sealedSegments: number;
  /** Bytes on disk plus bytes queued for the next write: what `maxBytes` bounds. */
  pendingBytes: number;
  /** Records not yet removed by the flusher (durable or queued). */
  pendingRecords: number;
  /** Event and session rows appended since open and not yet removed (the flusher's row trigger). */
  pendingRows: number;
  /** Append time (ms) of the oldest record still in the spool. */
  oldestRecordAt?: number;
  maxBytes: number;
  /** pendingBytes / maxBytes: the health check warns well before 1. */
  usedRatio: number;
  /** Records acknowledged since open. */
  appended: number;
  /** Durable writes (disk flushes) since open: far fewer than `appended` thanks to group commit. */
  fsyncs: number;
  /** Set once a write failed and the tail could not be restored; appends are refused. */
  brokenReason?: string;
}

interface SegmentState {
  name: string;
  bytes: number;
  records: number;
  /** Event + session rows; 0 for segments recovered at open (not parsed until flushed). */
  rows: number;
  firstAppendedAt: number | undefined;
  /**
   * The segment's rows exactly as readSegmentRows would cut them from the file, kept while it is written,
   * so the flusher need not read it back. Absent for recovered segments and past the memory cap.
   */
  inMemory?: RowBlocks;
}

interface RowBlocks {
  events: RowBlock;
  sessions: RowBlock;
}

/**
 * Sealed segments whose rows stay in memory (besides the one being written). The flusher normally
 * takes a segment right after sealing it, so one is enough; a backlog (ClickHouse down) is read from disk.
 */
const SEALED_SEGMENTS_IN_MEMORY = 1;
/** Sealed segments whose sizes set the next spare's zero-fill (about 20 s at the default flush interval). */
const RECENT_SEGMENTS = 4;
/** Below this (or an eighth of a segment), recent segments are small: the next spare gets no zeros. */
const SMALL_SEGMENT_BYTES = 256 * 1024;

interface PendingAppend {
  /** Where its line is in the `filling` buffer (then in the one being written). */
  start: number;
  end: number;
  rows: number;
  eventRows: number;
  appendedAt: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface SealRequest {
  resolve(): void;
  reject(error: unknown): void;
}

export class Spool {
  readonly dir: string;
  /** Random per directory; part of every deduplication token (see segment-files.ts). */
  readonly id: string;
  readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly syncFile: (file: FileHandle) => Promise<void>;
  /** Segments are opened with O_DSYNC (no `sync` option given): a completed write is durable. */
  private readonly writesAreDurable: boolean;
  private readonly now: () => number;

  private readonly sealed: SegmentState[];
  private active: SegmentState;
  private activeFile: FileHandle;
  private activeSequence: number;
  /**
   * The next segment, created (and its directory entry fsynced) ahead of time: a rotation then only
   * swaps handles, instead of making every queued append wait for an open and a directory fsync.
   */
  private spare: Promise<SpareSegment> | undefined;
  /** What the last few sealed segments held (bytes, newest last): sizes the next spare's zeros. */
  private readonly recentSegmentBytes: number[] = [];

  private queue: PendingAppend[] = [];
  /** The bytes of the write in flight (one at a time). */
  /**
   * Appends encode their records straight into `filling`; a write takes it whole (its records are the
   * queue's, in order) and swaps in the other, so the one being written is never touched.
   */
  private filling = new JsonRowWriter(64 * 1024);
  private writing = new JsonRowWriter(64 * 1024);
  /** The segment readSegmentRows is cutting up, and the rows it cuts (the flusher reads one at a time). */
  private readonly segmentBuffer = new ReusableBuffer(1024 * 1024);
  private readonly eventRows = new RowBlock();
  private readonly sessionRows = new RowBlock(2 * 1024 * 1024, 16384);
  /** Row blocks of flushed segments, reused by the next segment (they have grown to a segment's size). */
  private readonly freeRowBlocks: RowBlocks[] = [];
  private sealRequests: SealRequest[] = [];
  /** Bytes queued or being written: counted against maxBytes before they are on disk. */
  private reservedBytes = 0;
  private reservedRecords = 0;
  private writer: Promise<void> | undefined;
  private closed = false;
  private broken: SpoolWriteError | undefined;
  private appended = 0;
  private fsyncs = 0;
  private readonly appendListeners = new Set<() => void>();

  private constructor(init: {
    options: SpoolOptions;
    id: string;
    sealed: SegmentState[];
    activeFile: FileHandle;
    activeSequence: number;
  }) {
    const { options } = init;
    this.dir = options.dir;
    this.id = init.id;
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.syncFile = options.sync ?? ((file) => file.datasync());
    this.writesAreDurable = options.sync === undefined;
    this.now = options.now ?? Date.now;
    this.sealed = init.sealed;
    this.activeFile = init.activeFile;
    this.activeSequence = init.activeSequence;
    this.active = this.newSegment(segmentName(init.activeSequence));
    this.prepareSpare();
  }

  /**
   * Opens the spool, recovering what a previous process left: every existing segment becomes sealed
   * (its valid records will be replayed by the flusher) and a new segment is started for appends.
   */
  static async open(options: SpoolOptions): Promise<Spool> {
    await mkdir(options.dir, { recursive: true });
    const id = await readOrCreateSpoolId(options.dir);
    const existing = await listSegments(options.dir);
    const activeSequence = (existing.at(-1)?.sequence ?? 0) + 1;
    const activeFile = await createSegmentFile(options.dir, segmentName(activeSequence), options.sync === undefined);

    const sealed: SegmentState[] = [];
    for (const { name } of existing) {
      const recovered = await inspectSegment(join(options.dir, name), name);
      if (recovered.records === 0) {
        // Safe now that a newer segment exists to carry the sequence forward.
        await unlink(join(options.dir, name));
      } else {
        sealed.push(recovered);
      }
    }
    if (existing.length > sealed.length) await fsyncDirectory(options.dir);
    return new Spool({ options, id, sealed, activeFile, activeSequence });
  }

  /** Resolves once the record is fsynced. Rejects with SpoolFullError (answer 503) or SpoolWriteError. */
  append(record: SpoolRecord): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolClosedError(this.dir));
    if (this.broken) return Promise.reject(this.broken);
    const appendedAt = this.now();
    const start = this.filling.length;
    writeRecord(this.filling, record, appendedAt);
    const end = this.filling.length;
    const pendingBytes = this.pendingBytes();
    if (pendingBytes + end - start > this.maxBytes) {
      this.filling.truncate(start);
      return Promise.reject(new SpoolFullError({ pendingBytes, recordBytes: end - start, maxBytes: this.maxBytes }));
    }
    this.reservedBytes += end - start;
    this.reservedRecords += 1;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ start, end, rows: record.events.length + record.sessions.length, eventRows: record.events.length, appendedAt, resolve, reject });
      this.startWriter();
    });
  }

  /**
   * Seals the segment being written (when it holds anything) so the flusher can take it, and returns
   * the sealed segments oldest first. Records acknowledged before the call are in a sealed segment.
   */
  async seal(): Promise<SealedSegment[]> {
    if (!this.closed && this.active.records > 0) {
      await new Promise<void>((resolve, reject) => {
        this.sealRequests.push({ resolve, reject });
        this.startWriter();
      });
    }
    return this.sealedSegments();
  }

  sealedSegments(): SealedSegment[] {
    return this.sealed.map(({ name, bytes, records }) => ({ name, bytes, records }));
  }

  /** The valid records of a sealed segment; a torn tail and damaged lines are skipped, never parsed. */
  async readSegment(name: string): Promise<SegmentContents> {
    this.sealedState(name);
    const scan = scanSegment(await readFile(join(this.dir, name)));
    return {
      name,
      records: scan.payloads.map((payload) => decodePayload(payload, name)),
      tornTailBytes: scan.tornTailBytes,
      corruptLines: scan.corruptLines,
    };
  }

  /**
   * The rows of a sealed segment as stored, cut apart but not parsed: what the flusher inserts. The
   * row blocks are reused by the spool: valid until the next call, or until the segment is removed when
   * they are the ones kept in memory while it was written.
   */
  async readSegmentRows(name: string): Promise<SegmentRows> {
    const state = this.sealedState(name);
    if (state.inMemory) {
      return { name, records: state.records, ...state.inMemory, tornTailBytes: 0, corruptLines: 0 };
    }
    const bytes = await readWholeFile(join(this.dir, name), this.segmentBuffer);
    this.eventRows.reset();
    this.sessionRows.reset();
    const result: SegmentRows = { name, records: 0, events: this.eventRows, sessions: this.sessionRows, tornTailBytes: 0, corruptLines: 0 };
    let sinceYield = 0;
    for (const line of segmentLines(bytes)) {
      if (line.kind === 'corrupt') result.corruptLines += 1;
      else if (line.kind === 'torn-tail') result.tornTailBytes = line.bytes;
      else {
        const rows = payloadRows(line.payload, name);
        for (const row of rows.events) this.eventRows.push(row);
        for (const row of rows.sessions) this.sessionRows.push(row);
        result.records += 1;
        // A segment holds up to ~15k requests: checking and cutting them all at once would hold up
        // request handling for tens of milliseconds, so let the event loop run every 1000.
        if (++sinceYield === 1000) {
          sinceYield = 0;
          await nextCheckPhase();
        }
      }
    }
    return result;
  }

  /** Deletes a sealed segment; the flusher calls this only after every row of it was confirmed. */
  async removeSegment(name: string): Promise<void> {
    const state = this.sealedState(name);
    try {
      await unlink(join(this.dir, name));
    } catch (error) {
      // Already gone (a retry after the unlink succeeded but the fsync below failed): done either way.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Not needed for safety (a resurrected segment is replayed and deduplicated), but it keeps a
    // power loss from bringing back a large backlog.
    await fsyncDirectory(this.dir);
    this.sealed.splice(this.sealed.indexOf(state), 1);
    this.releaseRows(state);
  }

  /** Called after each durable batch; the flusher uses it for its row-count trigger. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Rows acknowledged and not yet removed, sealed or not (stats().pendingRows without building stats). */
  get pendingRows(): number {
    let rows = this.active.rows;
    for (const segment of this.sealed) rows += segment.rows;
    return rows;
  }

  /** Rows acknowledged into the segment being written: what the next seal hands the flusher. */
  get unsealedRows(): number {
    return this.active.rows;
  }

  stats(): SpoolStats {
    const pendingBytes = this.pendingBytes();
    const all = [...this.sealed, this.active];
    const oldest = all.find((segment) => segment.firstAppendedAt !== undefined)?.firstAppendedAt
      ?? this.queue[0]?.appendedAt;
    return {
      segments: all.length,
      sealedSegments: this.sealed.length,
      pendingBytes,
      pendingRecords: all.reduce((sum, segment) => sum + segment.records, 0) + this.reservedRecords,
      pendingRows: this.pendingRows,
      ...(oldest === undefined ? {} : { oldestRecordAt: oldest }),
      maxBytes: this.maxBytes,
      usedRatio: pendingBytes / this.maxBytes,
      appended: this.appended,
      fsyncs: this.fsyncs,
      ...(this.broken ? { brokenReason: this.broken.message } : {}),
    };
  }

  /** Refuses new appends, waits for queued ones to be written, and closes the segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writer) await this.writer;
    // Cut the zero padding off (the segment may have been a zero-filled spare): what a stopped server
    // leaves is then just its records. Best effort: readers skip the padding anyway.
    await this.activeFile.truncate(this.active.bytes).catch(() => undefined);
    await this.activeFile.close();
    await this.discardSpare();
  }

  private pendingBytes(): number {
    return this.sealed.reduce((sum, segment) => sum + segment.bytes, 0) + this.active.bytes + this.reservedBytes;
  }

  private sealedState(name: string): SegmentState {
    const state = this.sealed.find((segment) => segment.name === name);
    if (!state) throw new Error(`${name} is not a sealed segment of the spool in ${this.dir}`);
    return state;
  }

  private startWriter(): void {
    if (this.writer) return;
    // Start on the next check phase, not now: every request parsed in this event-loop turn joins the
    // same write (same latency; fewer, larger writes when busy).
    this.writer = nextCheckPhase().then(() => this.drain()).finally(() => {
      this.writer = undefined;
      if (this.queue.length > 0 || this.sealRequests.length > 0) this.startWriter();
    });
  }

  /** The single writer: everything queued while the previous fsync ran goes out in one write + fsync. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.sealRequests.length > 0) {
      if (this.sealRequests.length > 0) {
        const requests = this.sealRequests.splice(0);
        try {
          await this.rotate();
          for (const request of requests) request.resolve();
        } catch (error) {
          for (const request of requests) request.reject(error);
        }
      } else if (this.active.bytes >= this.segmentBytes) {
        // A failed size rotation is not fatal: the current segment just grows past its target.
        await this.rotate().catch(() => undefined);
      }
      const batch = this.queue.splice(0);
      if (batch.length === 0) continue;
      // The next write starts as soon as this one ends, with what queued meanwhile. Holding it back
      // so more requests share a flush (a 2-ms window) cost 5 % of the maximum rate and did not
      // shorten the tail (docs/decisions.md "Spool writes").
      await this.writeBatch(batch);
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    const written = this.filling;
    this.filling = this.writing;
    this.filling.reset();
    this.writing = written;
    const bytes = written.view();
    const segment = this.active;
    try {
      if (this.broken) throw this.broken;
      this.fsyncs += 1;
      await writeFully(this.activeFile, bytes, segment.bytes);
      if (!this.writesAreDurable) await this.syncFile(this.activeFile);
    } catch (error) {
      this.release(batch, bytes.length);
      const failure = error instanceof SpoolWriteError
        ? error
        : new SpoolWriteError({ segment: segment.name, broken: !(await this.restoreTail()), cause: error });
      if (failure.broken) this.broken = failure;
      for (const pending of batch) pending.reject(failure);
      return;
    }
    this.release(batch, bytes.length);
    segment.bytes += bytes.length;
    segment.records += batch.length;
    segment.firstAppendedAt ??= batch[0]?.appendedAt;
    segment.rows += batch.reduce((sum, pending) => sum + pending.rows, 0);
    const rows = segment.inMemory;
    if (rows) for (const pending of batch) pushRecordRows(bytes, pending.start, pending.end, pending.eventRows, rows.events, rows.sessions);
    this.appended += batch.length;
    for (const pending of batch) pending.resolve();
    for (const listener of this.appendListeners) listener();
  }

  private release(batch: PendingAppend[], bytes: number): void {
    this.reservedBytes -= bytes;
    this.reservedRecords -= batch.length;
  }

  /**
   * After a failed write the unacknowledged bytes may be partly on disk. Cut them off, or a client
   * that got an error and retried would be stored twice. If even that fails, the spool is broken.
   */
  private async restoreTail(): Promise<boolean> {
    try {
      await this.activeFile.truncate(this.active.bytes);
      this.fsyncs += 1;
      await this.syncFile(this.activeFile);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts the next segment; the current one (already fsynced) joins the sealed list. */
  private async rotate(): Promise<void> {
    if (this.active.records === 0) return;
    const next = await this.takeSpare();
    const previousFile = this.activeFile;
    this.sealed.push(this.active);
    this.recentSegmentBytes.push(this.active.bytes);
    if (this.recentSegmentBytes.length > RECENT_SEGMENTS) this.recentSegmentBytes.shift();
    if (this.sealed.filter((segment) => segment.inMemory).length > SEALED_SEGMENTS_IN_MEMORY) this.releaseRows(this.active);
    this.active = this.newSegment(next.name);
    this.activeFile = next.file;
    this.activeSequence = next.sequence;
    this.prepareSpare();
    await previousFile.close().catch(() => undefined);
  }

  private newSegment(name: string): SegmentState {
    const reused = this.freeRowBlocks.pop();
    reused?.events.reset();
    reused?.sessions.reset();
    const inMemory = reused ?? { events: new RowBlock(), sessions: new RowBlock(2 * 1024 * 1024, 16384) };
    return { ...emptySegment(name), inMemory };
  }

  /** Hands a segment's row blocks to the next new segment (which empties them). */
  private releaseRows(segment: SegmentState): void {
    if (!segment.inMemory) return;
    this.freeRowBlocks.push(segment.inMemory);
    segment.inMemory = undefined;
  }

  private prepareSpare(): void {
    const sequence = this.activeSequence + 1;
    const name = segmentName(sequence);
    this.spare = createSegmentFile(this.dir, name, this.writesAreDurable, this.spareZeroBytes()).then((file) => ({ sequence, name, file }));
    // A failure is seen (and retried) by the rotation that needs the spare.
    this.spare.catch(() => undefined);
  }

  /**
   * How much of the next segment to zero-fill ahead of time: twice the most a recent segment held (the
   * flusher seals one every interval, so about two intervals at the current rate), at most a segment;
   * none after only small segments. Writes past the zeros grow the file: slower, just as durable. A full
   * segment per seal zero-filled 32 MiB every flush interval even for one event a second (~550 GB of
   * writes a day on an almost idle server). Before the first seal the rate is unknown: a full segment.
   */
  private spareZeroBytes(): number {
    if (this.recentSegmentBytes.length === 0) return this.segmentBytes;
    const recent = Math.max(...this.recentSegmentBytes);
    if (recent < Math.min(SMALL_SEGMENT_BYTES, this.segmentBytes / 8)) return 0;
    return Math.min(this.segmentBytes, Math.ceil((2 * recent) / ZERO_CHUNK_BYTES) * ZERO_CHUNK_BYTES);
  }

  private async takeSpare(): Promise<SpareSegment> {
    const spare = this.spare;
    this.spare = undefined;
    try {
      if (spare) return await spare;
    } catch {
      // e.g. the disk was full a moment ago: try once more now
    }
    const sequence = this.activeSequence + 1;
    const name = segmentName(sequence);
    // The failed attempt may have left the file behind without its handle.
    await unlink(join(this.dir, name)).catch(() => undefined);
    return { sequence, name, file: await createSegmentFile(this.dir, name, this.writesAreDurable, this.spareZeroBytes()) };
  }

  /** The spare is empty: removed so a stopped spool leaves only segments with records. */
  private async discardSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return;
    try {
      const { name, file } = await spare;
      await file.close();
      await unlink(join(this.dir, name));
    } catch {
      // Left behind, it is an empty segment, which the next open removes.
    }
  }
}

interface SpareSegment {
  sequence: number;
  name: string;
  file: FileHandle;
}

async function readWholeFile(path: string, into: ReusableBuffer): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const bytes = into.take(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await file.read(bytes, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  } finally {
    await file.close();
  }
}

function nextCheckPhase(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function emptySegment(name: string): SegmentState {
  return { name, bytes: 0, records: 0, rows: 0, firstAppendedAt: undefined };
}

const SEGMENT_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * Creates an empty segment durably: its directory entry must exist before records in it are
 * acknowledged. `durableWrites` opens it with O_DSYNC.
 */
/**
 * Opens a new segment file. With `zeroFilledBytes` (spares, made ahead of time) its blocks are written
 * with zeros first: a durable write over blocks that exist changes no file metadata, so ext4 needs no
 * journal commit for it, and a journal commit is what makes an appending O_DSYNC write slow (it also
 * waits for other files' dirty data, chDB's new parts among them). Measured on the project machines:
 * 0.17 ms and ~100 µs of CPU per 8 KiB write, against 0.30 ms and ~160 µs when the file grows.
 * Readers treat the zeros after the last record as padding (record.ts).
 */
async function createSegmentFile(dir: string, name: string, durableWrites: boolean, zeroFilledBytes = 0): Promise<FileHandle> {
  const path = join(dir, name);
  const file = await open(path, durableWrites ? SEGMENT_FLAGS | constants.O_DSYNC : SEGMENT_FLAGS, 0o644);
  try {
    if (zeroFilledBytes > 0) await zeroFill(path, zeroFilledBytes);
    await fsyncDirectory(dir);
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
  return file;
}

const ZERO_CHUNK_BYTES = 1024 * 1024;
let zeroChunk: Buffer | undefined;

/**
 * Through a handle of its own opened with O_DSYNC, one 1-MiB chunk per write: the zeros must be on disk
 * before records are written over them (the records must not depend on metadata not yet on disk), and
 * in small steps, because the spool's own writes queue behind them on the disk. One flush of the whole
 * 32 MiB at the end held the write running next to it for 15–18 ms on every flush cycle; a chunk holds
 * it for about a millisecond (docs/decisions.md "Spool writes"). Zeros lost to a power cut are harmless
 * (a segment without records is removed on open).
 */
async function zeroFill(path: string, bytes: number): Promise<void> {
  zeroChunk ??= Buffer.alloc(ZERO_CHUNK_BYTES);
  const file = await open(path, constants.O_RDWR | constants.O_DSYNC);
  try {
    for (let position = 0; position < bytes; position += ZERO_CHUNK_BYTES) {
      await writeFully(file, zeroChunk.subarray(0, Math.min(ZERO_CHUNK_BYTES, bytes - position)), position);
    }
  } finally {
    await file.close();
  }
}

async function inspectSegment(path: string, name: string): Promise<SegmentState> {
  if ((await stat(path)).size === 0) return emptySegment(name);
  const contents = await readFile(path);
  const scan = scanSegment(contents);
  const first = scan.payloads[0];
  return {
    name,
    // What it holds, not the zeros it was filled with: pendingBytes counts stored records.
    bytes: withoutZeroPadding(contents).length,
    records: scan.payloads.length,
    rows: 0,
    firstAppendedAt: first === undefined ? undefined : appendedAtOf(first),
  };
}

async function writeFully(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await file.write(bytes, written, bytes.length - written, position + written);
    written += bytesWritten;
  }
}
