import { z } from 'zod';

export const MANIFEST_MEMBER = 'manifest.json';
/**
 * 2: Postgres members are COPY text (`postgres/<table>.copy`), checksummed on the client (RowChecksum).
 * 1: Postgres members were JSON lines (`.jsonl`) of each row's composite text, checksummed by the server
 * (sum of hashtextextended). Both are restored.
 */
export const FORMAT_VERSION = 2;
/** The first format whose Postgres members are COPY text. */
export const COPY_FORMAT_VERSION = 2;

const tableEntry = z.object({
  name: z.string(),
  rows: z.number().int().nonnegative(),
  /**
   * Postgres: sum (mod 2^64) of each COPY line's RowChecksum hash (format 1: sum of hashtextextended of each row's
   * text); ClickHouse: sum of cityHash64 of every row. All order-free.
   */
  checksum: z.string(),
  member: z.string(),
});

const postgresTableEntry = tableEntry.extend({
  /** The COPY column list, in the order of the member's fields (format 2 on; a restore names them, not their positions). */
  columns: z.array(z.string()).optional(),
});

const memberDigest = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative(), parts: z.number().int().positive() });

export const manifestSchema = z.object({
  format: z.literal('analytics-backup'),
  formatVersion: z.number().int().positive(),
  app: z.object({ version: z.string() }),
  createdAt: z.string(),
  storage: z.object({
    mode: z.enum(['embedded', 'servers', 'mixed']),
    postgres: z.enum(['postgres', 'pglite']),
    clickhouse: z.enum(['clickhouse', 'chdb']),
  }),
  migrations: z.object({ postgres: z.number().int().nonnegative(), clickhouse: z.number().int().nonnegative() }),
  watermark: z.object({
    /** When ClickHouse was read: everything ingested before is in the backup, nothing after. */
    at: z.string(),
    /** Whether the ingest spool was flushed (and held) for the export: false when no server could be asked. */
    spoolFlushed: z.boolean(),
    maxEventTimestamp: z.string().nullable(),
  }),
  postgres: z.object({
    serverVersion: z.string(),
    tables: z.array(postgresTableEntry),
    sequences: z.array(z.object({ name: z.string(), lastValue: z.string().nullable() })),
  }),
  clickhouse: z.object({
    tables: z.array(
      tableEntry.extend({
        engine: z.string(),
        final: z.boolean(),
        /** Not computed at backup time (it would cost a second full read); restore reports the restored one. */
        checksum: z.string().nullable(),
        /** False when ClickHouse could be written to during the export (no server to hold): rows is approximate. */
        rowsExact: z.boolean(),
      }),
    ),
  }),
  members: z.record(z.string(), memberDigest),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type TableEntry = z.infer<typeof tableEntry>;
export type PostgresTableEntry = z.infer<typeof postgresTableEntry>;
export type ClickHouseTableEntry = BackupManifest['clickhouse']['tables'][number];
