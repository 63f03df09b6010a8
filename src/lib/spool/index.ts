export {
  Spool,
  DEFAULT_SEGMENT_BYTES,
  DEFAULT_SPOOL_MAX_BYTES,
  type SealedSegment,
  type SegmentContents,
  type SegmentRows,
  type SpoolOptions,
  type SpoolStats,
} from './spool.js';
export {
  Flusher,
  DEFAULT_CHUNK_ROWS,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_FLUSH_MAX_ROWS,
  type FlushResult,
  type FlusherOptions,
  type FlusherRetryOptions,
  type FlusherStatus,
} from './flusher.js';
export { createClickHouseSink } from './clickhouse-sink.js';
export type { SinkInsertOptions, SpoolSink } from './sink.js';
export { encodeRows, eventRowJson, sessionRowJson, SPOOL_COLUMNS, SPOOL_ROW_FORMAT, type SpoolTable } from './rows.js';
export type { SpoolRecord, StoredRecord } from './record.js';
export { SpoolClosedError, SpoolFormatError, SpoolFullError, SpoolWriteError } from './errors.js';
export { segmentDataBytes } from './segment-files.js';
