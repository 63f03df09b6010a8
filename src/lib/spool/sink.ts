import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow } from '../ingest/session.js';

export interface SinkInsertOptions {
  /**
   * Same rows → same token, across retries and process restarts: the sink must make a repeated
   * insert with a token it has already stored a no-op.
   */
  deduplicationToken: string;
}

/** Where the flusher delivers spooled rows (ClickHouse in production: clickhouse-sink.ts). */
export interface SpoolSink {
  insertEvents(rows: readonly EnrichedEvent[], options: SinkInsertOptions): Promise<void>;
  insertSessions(rows: readonly SessionRow[], options: SinkInsertOptions): Promise<void>;
}
