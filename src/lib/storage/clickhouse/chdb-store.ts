import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Session, drainPending } from 'chdb';
import { AsyncMutex } from '../async-mutex.js';
import { EmbeddedStoreInUseError } from '../errors.js';
import { toClickHouseError } from './errors.js';
import {
  assertDatabaseName,
  assertFormatName,
  assertTableName,
  columnList,
  settingsClause,
  stringLiteral,
  stripTrailingSemicolons,
} from './identifiers.js';
import { parseJsonEachRow, toJsonEachRow } from './json-each-row.js';
import { keepMergeThreadsNiced } from './merge-thread-priority.js';
import { CONNECTION_SETTINGS, insertSettings } from './settings.js';
import type { ClickHouseInsertOptions, ClickHouseParams, ClickHouseStore, EncodedInsertFormat, EncodedInsertOptions } from './types.js';
import { DEFAULT_CLICKHOUSE_DATABASE } from './url.js';

/**
 * chDB runs inside the analytics server: its background merges share the cores with request handling.
 * Niced, they take what request handling leaves (and all of an idle machine) instead of stalling
 * answers while they run; merges still progress, just later under full load. Two merge threads, not
 * ClickHouse's 16: on the small machines this runs on, more parallel merges only compete with requests
 * (bench:ingest went from ~14.6k to ~15.5k events/s; docs/decisions.md "Flush batches").
 */
const EMBEDDED_SERVER_SETTINGS = { os_threads_nice_value_merge_mutate: 10, background_pool_size: 2 } as const;

/** Formats chDB can stream-insert chunk by chunk (a raw newline is always a row boundary). */
const LINE_DELIMITED_FORMATS = new Set(['JSONEachRow', 'JSONCompactEachRow', 'TSV', 'TabSeparated']);
/**
 * Where insert bodies are staged for `INSERT ... FROM INFILE` (insertEncoded, and insertStream's
 * non-line formats). Only the process holding the chDB directory uses it, so it is emptied at open.
 */
const STAGING_DIR = 'analytics-staging';

export interface ChdbStoreOptions {
  /** The chDB data directory (DATA_DIR/ch). */
  path: string;
  /** Named database for unqualified table names; created when missing. Default `analytics`. */
  database?: string;
}

/** ClickHouse in-process (chDB) with a persistent Session. */
class ChdbStore implements ClickHouseStore {
  readonly kind = 'chdb' as const;
  /** chDB allows one active result stream per session. */
  private readonly streamSlot = new AsyncMutex();
  private readonly target: { address: string; database: string };
  private closed = false;
  private stagedInserts = 0;
  /** ClickHouse renices merge threads only with CAP_SYS_NICE; without it, this does (merge-thread-priority.ts). */
  private readonly mergeThreads = keepMergeThreadsNiced(EMBEDDED_SERVER_SETTINGS.os_threads_nice_value_merge_mutate);

  constructor(
    private readonly session: Session,
    readonly path: string,
    readonly database: string,
  ) {
    this.target = { address: path, database };
  }

  async query<T extends object = Record<string, unknown>>(sql: string, params?: ClickHouseParams): Promise<T[]> {
    const result = await this.run(stripTrailingSemicolons(sql), params, 'JSONEachRow');
    return parseJsonEachRow<T>(result);
  }

  async command(sql: string, params?: ClickHouseParams): Promise<void> {
    await this.run(sql, params, 'TabSeparated');
  }

  async insert(table: string, rows: readonly object[], options?: ClickHouseInsertOptions): Promise<void> {
    assertTableName(table);
    if (rows.length === 0) return;
    await this.insertEncoded(table, 'JSONEachRow', toJsonEachRow(rows), options);
  }

  /**
   * Through a staged file and `INSERT ... FROM INFILE`, not `session.insert`: chDB's insert API hands
   * the body to ClickHouse inside the query text, which costs ~75 % more CPU for the same rows (a
   * 32 MiB spool segment: ~500 against ~280 ms of a core; docs/decisions.md "chDB inserts"). The file
   * is read back from the page cache and deleted before writeback would put it on the disk.
   */
  async insertEncoded(table: string, format: EncodedInsertFormat, body: Buffer, options?: EncodedInsertOptions): Promise<void> {
    assertTableName(table);
    assertFormatName(format);
    const columns = columnList(options?.columns);
    const settings = settingsClause({ ...insertSettings(options), ...options?.settings });
    if (body.length === 0) return;
    const file = join(this.path, STAGING_DIR, `insert-${process.pid}-${++this.stagedInserts}.${format.toLowerCase()}`);
    try {
      await writeStaged(file, body);
      await this.command(`INSERT INTO ${table}${columns} FROM INFILE ${stringLiteral(file)}${settings} FORMAT ${format}`);
    } finally {
      await rm(file, { force: true });
    }
  }

  async *stream(sql: string, params: ClickHouseParams | undefined, format: string): AsyncGenerator<Uint8Array> {
    assertFormatName(format);
    const release = await this.streamSlot.acquire();
    try {
      const statement = stripTrailingSemicolons(sql);
      let chunks;
      try {
        chunks = params && Object.keys(params).length > 0
          ? this.session.queryStreamBind(statement, params, { format })
          : this.session.queryStream(statement, { format });
      } catch (error) {
        throw toClickHouseError(error, this.target);
      }
      try {
        for await (const chunk of chunks) yield chunk.raw();
      } catch (error) {
        throw toClickHouseError(error, this.target);
      } finally {
        if (!chunks.closed) chunks.cancel();
      }
    } finally {
      release();
    }
  }

  async insertStream(table: string, format: string, source: AsyncIterable<Uint8Array>): Promise<void> {
    assertTableName(table);
    assertFormatName(format);
    if (LINE_DELIMITED_FORMATS.has(format)) {
      try {
        await this.session.insert({
          table,
          values: source,
          format: format as 'JSONEachRow' | 'JSONCompactEachRow' | 'TSV' | 'TabSeparated',
        });
      } catch (error) {
        throw toClickHouseError(error, this.target);
      }
      return;
    }
    // Native and other block formats cannot be re-chunked at arbitrary byte offsets: spool to a file
    // next to the data (same disk, bounded memory) and let the engine read it by column name.
    const stagingRoot = join(this.path, STAGING_DIR);
    await mkdir(stagingRoot, { recursive: true });
    const staging = await mkdtemp(join(stagingRoot, 'insert-'));
    try {
      const file = join(staging, `data.${format.toLowerCase()}`);
      await pipeline(Readable.from(source), createWriteStream(file));
      await this.command(`INSERT INTO ${table} FROM INFILE ${stringLiteral(file)} FORMAT ${format}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.mergeThreads.stop();
    this.session.close();
    // close() can return before the native connection is gone; until it is, chDB refuses to open
    // another directory in this process.
    await drainPending();
  }

  private async run(sql: string, params: ClickHouseParams | undefined, format: string): Promise<string> {
    try {
      const result =
        params && Object.keys(params).length > 0
          ? await this.session.queryBindAsync(sql, params, { format })
          : await this.session.queryAsync(sql, { format });
      return result.text();
    } catch (error) {
      throw toClickHouseError(error, this.target);
    }
  }
}

/** Writes a staging file, recreating the staging folder if someone removed it while the server ran. */
async function writeStaged(file: string, body: Buffer): Promise<void> {
  try {
    await writeFile(file, body);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, body);
  }
}

function openSession(path: string): Session {
  const connectionArgs = Object.entries({ ...CONNECTION_SETTINGS, ...EMBEDDED_SERVER_SETTINGS }).map(([name, value]) => `--${name}=${value}`);
  try {
    return new Session(path, { connectionArgs });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const detail = /only one active data directory per process/.test(message)
      ? `this process already has another chDB data directory open (${message})`
      : 'another process is probably using it (chDB allows one process per data directory; ' +
        'ClickHouse reports "Cannot lock file .../status"). Stop that process, or run the command through the server.';
    throw new EmbeddedStoreInUseError(path, detail, error);
  }
}

/**
 * Opens (creating when missing) the chDB data directory and the named database, and makes that
 * database the session's current one so unqualified table names resolve to it.
 */
export async function openChdbStore(options: ChdbStoreOptions): Promise<ClickHouseStore> {
  return (await openChdbStoreReportingCreation(options)).store;
}

/** openChdbStore, also saying whether the database had to be created (for `db createdb`). */
export async function openChdbStoreReportingCreation(
  options: ChdbStoreOptions,
): Promise<{ store: ClickHouseStore; databaseCreated: boolean }> {
  const database = assertDatabaseName(options.database ?? DEFAULT_CLICKHOUSE_DATABASE);
  await mkdir(options.path, { recursive: true });
  const session = openSession(options.path);
  // Left by a process that died mid-insert; the lock openSession took means no one else uses them.
  const staging = join(options.path, STAGING_DIR);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const store = new ChdbStore(session, options.path, database);
  try {
    const [existing] = await store.query<{ n: string }>(
      'SELECT count() AS n FROM system.databases WHERE name = {name:String}',
      { name: database },
    );
    const databaseCreated = Number(existing?.n ?? 0) === 0;
    if (databaseCreated) await store.command(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    await store.command(`USE \`${database}\``);
    return { store, databaseCreated };
  } catch (error) {
    await store.close();
    throw error;
  }
}
