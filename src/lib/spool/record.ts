/**
 * One spool record = the rows one accepted request produced, framed as one line of a segment:
 *
 *   <crc32 of the payload, 8 lowercase hex digits> <space> <payload> <\n>
 *
 * Payload, format 3: `3 <appended at, ms> <event rows> <session rows>` then each row as <TAB> + its
 * JSON array (the JSONCompactEachRow row of rows.ts, events first). JSON escapes every control
 * character inside strings, so a raw TAB only ever separates rows and a raw `\n` only ever ends a
 * record: the flusher cuts the stored bytes into rows without parsing them, and a reader can
 * resynchronise after a damaged line. The CRC is what tells a torn or zero-filled tail (after a crash
 * or power loss) from a record: a line that fails it is never used.
 *
 * Older formats are still read, so a spool left by an older build is replayed after an upgrade:
 * format 2 (the same framing with JSONEachRow objects as rows) and format 1 (a JSON envelope
 * `{"v":1,"at":...,"events":[...],"sessions":[...]}`); their rows are converted to format 3's.
 */
import { crc32 } from 'node:zlib';
import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow } from '../ingest/session.js';
import { SpoolFormatError } from './errors.js';
import { JsonRowWriter } from './json-row-writer.js';
import type { RowBlock } from './row-block.js';
import { compactFromObjectRow, eventRowJson, SPOOL_COLUMNS, sessionRowJson, type SpoolTable, writeEventRow, writeSessionRow } from './rows.js';

export interface SpoolRecord {
  events: EnrichedEvent[];
  sessions: SessionRow[];
}

/** A record read back, with the wall-clock time (ms) it was appended. */
export interface StoredRecord extends SpoolRecord {
  appendedAt: number;
}

/** Bumped when the envelope changes; a reader refuses versions it does not know instead of dropping them. */
export const RECORD_FORMAT_VERSION = 3;
/** Same framing, rows as JSONEachRow objects. */
const OBJECT_ROWS_FORMAT_VERSION = 2;
const ENVELOPE_FORMAT_VERSION = 1;

/** Format 1's JSON envelope (rows as objects, ids as strings). */
interface Envelope {
  v: number;
  at: number;
  events: Record<string, unknown>[];
  sessions: Record<string, unknown>[];
}

const NEWLINE = 0x0a;
const TAB = 0x09;
const SPACE = 0x20;
const OPEN_BRACE = 0x7b;
const CRC_HEX_LENGTH = 8;
/** "xxxxxxxx " before the JSON. */
const HEADER_LENGTH = CRC_HEX_LENGTH + 1;
/** The CRC's place (filled in once the payload is written) and the payload's first field. */
const CRC_PLACEHOLDER_AND_FORMAT = `${'0'.repeat(CRC_HEX_LENGTH)} ${RECORD_FORMAT_VERSION} `;
const EVENT_BIGINT_FIELDS = ['user_id', 'session_id'] as const;
const SESSION_BIGINT_FIELDS = ['session_id', 'user_id'] as const;

/**
 * Appends the framed line for a record to `out`, after what it already holds (the spool writes a batch's
 * records one after the other into the buffer it will write to disk: no Buffer per record).
 */
export function writeRecord(out: JsonRowWriter, record: SpoolRecord, appendedAt: number): void {
  const start = out.length;
  // The header piece by piece: a template string here was a string (and its parts) per request.
  out.ascii(CRC_PLACEHOLDER_AND_FORMAT);
  out.digits(appendedAt);
  out.byte(SPACE);
  out.digits(record.events.length);
  out.byte(SPACE);
  out.digits(record.sessions.length);
  for (const event of record.events) {
    out.byte(TAB);
    writeEventRow(out, event);
  }
  for (const session of record.sessions) {
    out.byte(TAB);
    writeSessionRow(out, session);
  }
  out.hex32At(start, crc32(out.view(start + HEADER_LENGTH)));
  out.byte(NEWLINE);
}

/**
 * Cuts the line writeRecord wrote at `bytes[start, end)` into its rows, the first `eventRows` into
 * `events` and the rest into `sessions`: the same rows payloadRows cuts from the stored line, without
 * views or parsing.
 */
export function pushRecordRows(bytes: Buffer, start: number, end: number, eventRows: number, events: RowBlock, sessions: RowBlock): void {
  const lineEnd = bytes[end - 1] === NEWLINE ? end - 1 : end;
  let tab = bytes.indexOf(TAB, start + HEADER_LENGTH);
  for (let index = 0; tab !== -1 && tab < lineEnd; index++) {
    const next = bytes.indexOf(TAB, tab + 1);
    const rowEnd = next === -1 || next > lineEnd ? lineEnd : next;
    (index < eventRows ? events : sessions).pushRange(bytes, tab + 1, rowEnd);
    tab = rowEnd === lineEnd ? -1 : next;
  }
}

export interface SegmentScan {
  /** JSON payloads of the lines whose CRC matched, in file order. */
  payloads: Buffer[];
  /** Bytes after the last newline: a record torn by a crash, ignored. */
  tornTailBytes: number;
  /** Complete lines whose CRC did not match (damaged in place), skipped. */
  corruptLines: number;
}

/** Splits a segment into verified payloads without parsing them. */
export function scanSegment(bytes: Buffer): SegmentScan {
  const payloads: Buffer[] = [];
  let corruptLines = 0;
  let tornTailBytes = 0;
  for (const line of segmentLines(bytes)) {
    if (line.kind === 'payload') payloads.push(line.payload);
    else if (line.kind === 'corrupt') corruptLines += 1;
    else tornTailBytes = line.bytes;
  }
  return { payloads, tornTailBytes, corruptLines };
}

export type SegmentLine =
  | { kind: 'payload'; payload: Buffer }
  | { kind: 'corrupt' }
  /** Bytes after the last newline (always last, only when there are any). */
  | { kind: 'torn-tail'; bytes: number };

/**
 * The segment without the zeros after its last byte of data: spare segments are zero-filled before
 * use (spool.ts), and a record never contains a NUL byte (JSON escapes control characters).
 */
export function withoutZeroPadding(bytes: Buffer): Buffer {
  let end = bytes.length;
  // Whole chunks by native comparison (a mostly empty 32 MiB segment is read back after a crash),
  // then byte by byte inside the last chunk that holds data.
  while (end >= ZERO_CHUNK.length && bytes.subarray(end - ZERO_CHUNK.length, end).equals(ZERO_CHUNK)) end -= ZERO_CHUNK.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  return end === bytes.length ? bytes : bytes.subarray(0, end);
}

const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/**
 * The lines of a segment one by one, so a long scan can pause for the event loop between them. The
 * zero padding after the data is not a line, nor a torn tail.
 */
export function* segmentLines(segment: Buffer): Generator<SegmentLine> {
  const bytes = withoutZeroPadding(segment);
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) break;
    const payload = verifiedPayload(bytes.subarray(start, end));
    yield payload ? { kind: 'payload', payload } : { kind: 'corrupt' };
    start = end + 1;
  }
  if (start < bytes.length) yield { kind: 'torn-tail', bytes: bytes.length - start };
}

function verifiedPayload(line: Buffer): Buffer | undefined {
  if (line.length <= HEADER_LENGTH || line[CRC_HEX_LENGTH] !== SPACE) return undefined;
  const expected = Number.parseInt(line.toString('latin1', 0, CRC_HEX_LENGTH), 16);
  const payload = line.subarray(HEADER_LENGTH);
  return Number.isNaN(expected) || crc32(payload) !== expected ? undefined : payload;
}

/** A verified payload's rows in the stored format (rows.ts): JSONCompactEachRow lines for the flusher. */
export interface PayloadRows {
  appendedAt: number;
  events: Buffer[];
  sessions: Buffer[];
}

/** Cuts a verified payload into its rows' JSON (format 3) without parsing them, or converts an older format. */
export function payloadRows(payload: Buffer, segment: string): PayloadRows {
  if (payload[0] === OPEN_BRACE) return legacyPayloadRows(payload, segment);
  const firstTab = payload.indexOf(TAB);
  const header = payload.toString('latin1', 0, firstTab === -1 ? payload.length : firstTab).split(' ');
  const [version, at, eventCount, sessionCount] = header.map(Number);
  if ((version !== RECORD_FORMAT_VERSION && version !== OBJECT_ROWS_FORMAT_VERSION) || header.length !== 4 || [at, eventCount, sessionCount].some((n) => !Number.isInteger(n))) {
    throw unknownFormat(segment, header[0]);
  }
  const rows: Buffer[] = [];
  for (let start = firstTab + 1; firstTab !== -1; ) {
    const end = payload.indexOf(TAB, start);
    rows.push(payload.subarray(start, end === -1 ? payload.length : end));
    if (end === -1) break;
    start = end + 1;
  }
  if (rows.length !== eventCount! + sessionCount!) {
    throw new SpoolFormatError(segment, `a record announces ${eventCount! + sessionCount!} rows but holds ${rows.length}`);
  }
  const events = rows.slice(0, eventCount);
  const sessions = rows.slice(eventCount);
  if (version === RECORD_FORMAT_VERSION) return { appendedAt: at!, events, sessions };
  const convert = (table: SpoolTable, row: Buffer) =>
    Buffer.from(compactFromObjectRow(table, JSON.parse(row.toString('utf8')) as Record<string, unknown>));
  return {
    appendedAt: at!,
    events: events.map((row) => convert('events', row)),
    sessions: sessions.map((row) => convert('sessions', row)),
  };
}

/** Parses a verified payload back into typed rows (64-bit ids become bigint again); slow, for tools and tests. */
export function decodePayload(payload: Buffer, segment: string): StoredRecord {
  const rows = payloadRows(payload, segment);
  const parse = (table: SpoolTable, row: Buffer, fields: readonly string[]) => {
    const values = JSON.parse(row.toString('utf8')) as unknown[];
    const object = Object.fromEntries(SPOOL_COLUMNS[table].map((column, index) => [column, values[index]]));
    return reviveBigints(object, fields);
  };
  return {
    appendedAt: rows.appendedAt,
    events: rows.events.map((row) => parse('events', row, EVENT_BIGINT_FIELDS) as unknown as EnrichedEvent),
    sessions: rows.sessions.map((row) => parse('sessions', row, SESSION_BIGINT_FIELDS) as unknown as SessionRow),
  };
}

/** Only the append time, for health stats of segments recovered at startup. */
export function appendedAtOf(payload: Buffer): number | undefined {
  const head = payload.toString('latin1', 0, 64);
  const match = head.startsWith('{') ? /^\{"v":\d+,"at":(\d+),/.exec(head) : /^\d+ (\d+) /.exec(head);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function legacyPayloadRows(payload: Buffer, segment: string): PayloadRows {
  const envelope = JSON.parse(payload.toString('utf8')) as Envelope;
  if (envelope.v !== ENVELOPE_FORMAT_VERSION) throw unknownFormat(segment, String(envelope.v));
  const revive = (row: Record<string, unknown>, fields: readonly string[]) => reviveBigints(row, fields);
  return {
    appendedAt: envelope.at,
    events: envelope.events.map((row) => Buffer.from(eventRowJson(revive(row, EVENT_BIGINT_FIELDS) as unknown as EnrichedEvent))),
    sessions: envelope.sessions.map((row) => Buffer.from(sessionRowJson(revive(row, SESSION_BIGINT_FIELDS) as unknown as SessionRow))),
  };
}

function unknownFormat(segment: string, version: string | undefined): SpoolFormatError {
  return new SpoolFormatError(
    segment,
    `a record has format version ${String(version)}; this build reads ${ENVELOPE_FORMAT_VERSION} to ${RECORD_FORMAT_VERSION} (upgrade, then restart)`,
  );
}

function reviveBigints(row: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  for (const field of fields) {
    const value = row[field];
    if (typeof value === 'string') row[field] = BigInt(value);
  }
  return row;
}
