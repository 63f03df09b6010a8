/**
 * One spool record = the rows one accepted request produced, framed as one line of a segment:
 *
 *   <crc32 of the JSON, 8 lowercase hex digits> <space> <JSON envelope> <\n>
 *
 * JSON never contains a raw newline, so `\n` always ends a record and a reader can resynchronise
 * after a damaged line. The CRC is what tells a torn or zero-filled tail (after a crash or power
 * loss) from a record: a line that fails it is never parsed.
 */
import { crc32 } from 'node:zlib';
import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow } from '../ingest/session.js';
import { SpoolFormatError } from './errors.js';

export interface SpoolRecord {
  events: EnrichedEvent[];
  sessions: SessionRow[];
}

/** A record read back, with the wall-clock time (ms) it was appended. */
export interface StoredRecord extends SpoolRecord {
  appendedAt: number;
}

/** Bumped when the envelope changes; a reader refuses versions it does not know instead of dropping them. */
export const RECORD_FORMAT_VERSION = 1;

interface Envelope {
  v: number;
  at: number;
  events: Record<string, unknown>[];
  sessions: Record<string, unknown>[];
}

const NEWLINE = 0x0a;
const CRC_HEX_LENGTH = 8;
/** "xxxxxxxx " before the JSON. */
const HEADER_LENGTH = CRC_HEX_LENGTH + 1;
const EVENT_BIGINT_FIELDS = ['user_id', 'session_id'] as const;
const SESSION_BIGINT_FIELDS = ['session_id', 'user_id'] as const;

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The framed line for a record, ready to be written. */
export function encodeRecord(record: SpoolRecord, appendedAt: number): Buffer {
  const envelope = { v: RECORD_FORMAT_VERSION, at: appendedAt, events: record.events, sessions: record.sessions };
  const json = Buffer.from(JSON.stringify(envelope, bigintAsString), 'utf8');
  const line = Buffer.allocUnsafe(HEADER_LENGTH + json.length + 1);
  line.write(crc32(json).toString(16).padStart(CRC_HEX_LENGTH, '0'), 0, 'latin1');
  line[CRC_HEX_LENGTH] = 0x20;
  json.copy(line, HEADER_LENGTH);
  line[line.length - 1] = NEWLINE;
  return line;
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
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) break;
    const payload = verifiedPayload(bytes.subarray(start, end));
    if (payload) payloads.push(payload);
    else corruptLines += 1;
    start = end + 1;
  }
  return { payloads, tornTailBytes: bytes.length - start, corruptLines };
}

function verifiedPayload(line: Buffer): Buffer | undefined {
  if (line.length <= HEADER_LENGTH || line[CRC_HEX_LENGTH] !== 0x20) return undefined;
  const expected = Number.parseInt(line.toString('latin1', 0, CRC_HEX_LENGTH), 16);
  const payload = line.subarray(HEADER_LENGTH);
  return Number.isNaN(expected) || crc32(payload) !== expected ? undefined : payload;
}

/** Parses a verified payload back into typed rows (64-bit ids become bigint again). */
export function decodePayload(payload: Buffer, segment: string): StoredRecord {
  const envelope = JSON.parse(payload.toString('utf8')) as Envelope;
  if (envelope.v !== RECORD_FORMAT_VERSION) {
    throw new SpoolFormatError(
      segment,
      `a record has format version ${String(envelope.v)}; this build reads ${RECORD_FORMAT_VERSION} (upgrade, then restart)`,
    );
  }
  return {
    appendedAt: envelope.at,
    events: envelope.events.map((row) => reviveBigints(row, EVENT_BIGINT_FIELDS) as unknown as EnrichedEvent),
    sessions: envelope.sessions.map((row) => reviveBigints(row, SESSION_BIGINT_FIELDS) as unknown as SessionRow),
  };
}

/** Only the envelope's append time, for health stats of segments recovered at startup. */
export function appendedAtOf(payload: Buffer): number | undefined {
  const match = /^\{"v":\d+,"at":(\d+),/.exec(payload.toString('latin1', 0, 64));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function reviveBigints(row: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  for (const field of fields) {
    const value = row[field];
    if (typeof value === 'string') row[field] = BigInt(value);
  }
  return row;
}
