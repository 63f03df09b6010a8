/**
 * Postgres data in a form both PostgreSQL and PGlite read back, in either direction: each table's rows
 * in COPY text format (the types' own output functions, exact for every column type), all tables read
 * in one REPEATABLE READ snapshot with the settings that shape the text (time zone, date style, bytea
 * output) fixed, so PostgreSQL 15 and PGlite (18) write the same bytes for the same rows. The schema is
 * not dumped: restore migrates the target to the archive's migration head, loads the rows with COPY,
 * then migrates forward.
 *
 * Format 1 archives (one JSON string of the row's composite text per line, checksum summed by the
 * server with hashtextextended) are still restored: `loadJsonLinesTable` and `tableChecksum`.
 */
import type { PostgresQueryable, PostgresStore } from '../storage/postgres/types.js';
import { quoteIdentifier } from '../storage/postgres/url.js';
import type { PostgresTableEntry } from './manifest.js';
import { RowChecksum, checksummed } from './row-checksum.js';

/** The migration ledger is rebuilt by migrating the target, never copied. */
const LEDGER_TABLES = new Set(['schema_migrations']);
/** Rows per INSERT when loading a format-1 (JSON lines) member. */
const JSON_BATCH_ROWS = 20_000;
/**
 * Settings that decide how COPY writes (and reads) timestamptz, date, interval, float and bytea values:
 * fixed for the transaction, so the text and its checksum do not depend on the server's or the role's
 * defaults, and PostgreSQL and PGlite agree byte for byte.
 */
const CANONICAL_TEXT_SETTINGS = [
  `SET LOCAL TimeZone = 'UTC'`,
  `SET LOCAL DateStyle = 'ISO, YMD'`,
  `SET LOCAL IntervalStyle = 'postgres'`,
  `SET LOCAL extra_float_digits = 1`,
  `SET LOCAL bytea_output = 'hex'`,
  `SET LOCAL client_encoding = 'UTF8'`,
].join('; ');
/**
 * Format 1's row hash: 64 bits of `hashtextextended` over the row's composite text, summed by the server
 * (numeric in SQL, so no overflow): order-free, and a doubled row changes it.
 */
const LEGACY_ROW_HASH_SQL = `hashtextextended(t::text, 0)`;

export interface PostgresSnapshot {
  serverVersion: string;
  tables: PostgresTableEntry[];
  sequences: { name: string; lastValue: string | null }[];
}

export async function listTables(db: PostgresQueryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  return rows.map((r) => r.name).filter((name) => !LEDGER_TABLES.has(name));
}

/** The columns COPY reads and writes by default (generated and dropped ones aside), in table order. */
export async function copyColumns(db: PostgresQueryable, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     ORDER BY a.attnum`,
    [`public.${quoteIdentifier(table)}`],
  );
  return rows.map((r) => r.name);
}

const copyTarget = (table: string, columns: string[]) =>
  `public.${quoteIdentifier(table)} (${columns.map((c) => quoteIdentifier(c)).join(', ')})`;

/** Format 1's checksum, summed by the server: only for archives written before COPY members. */
export async function tableChecksum(db: PostgresQueryable, table: string): Promise<{ rows: number; checksum: string }> {
  const t = `public.${quoteIdentifier(table)}`;
  const [row] = await db.query<{ n: string; checksum: string }>(
    `SELECT count(*)::text AS n, coalesce(sum(${LEGACY_ROW_HASH_SQL}), 0)::text AS checksum FROM ${t} t`,
  );
  return { rows: Number(row?.n ?? 0), checksum: row?.checksum ?? '' };
}

/**
 * The checksum a backup records for a table (RowChecksum over its COPY text), read back from a database:
 * restore compares it with the manifest. Reads the table once, in its own transaction.
 */
export async function copyChecksum(
  store: PostgresStore,
  table: string,
  columns?: string[],
): Promise<{ rows: number; checksum: string }> {
  return store.transaction(async (tx) => {
    await tx.exec(CANONICAL_TEXT_SETTINGS);
    const checksum = new RowChecksum();
    for await (const chunk of tx.copyOut(copyTarget(table, columns ?? (await copyColumns(tx, table))))) checksum.update(chunk);
    const digest = checksum.digest();
    return { rows: checksum.rows, checksum: digest };
  });
}

/**
 * Reads every table inside one read-only snapshot; `write` stores each table's COPY text as an archive
 * member, in the order `order` gives (parents first, since restore streams members in archive order).
 * The checksum is taken on the bytes as they pass: no second read of the table.
 */
export async function dumpPostgres(
  store: PostgresStore,
  write: (member: string, data: AsyncIterable<Uint8Array>) => Promise<void>,
  order: (tx: PostgresQueryable, tables: string[]) => Promise<string[]> = async (_tx, tables) => tables,
): Promise<PostgresSnapshot> {
  return store.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await tx.exec(CANONICAL_TEXT_SETTINGS);
    const [version] = await tx.query<{ server_version: string }>('SHOW server_version');
    const tables: PostgresTableEntry[] = [];
    for (const name of await order(tx, await listTables(tx))) {
      const member = `postgres/${name}.copy`;
      const columns = await copyColumns(tx, name);
      const checksum = new RowChecksum();
      await write(member, checksummed(tx.copyOut(copyTarget(name, columns)), checksum));
      const digest = checksum.digest();
      tables.push({ name, rows: checksum.rows, checksum: digest, member, columns });
    }
    const sequences = await tx.query<{ name: string; last_value: string | null }>(
      `SELECT sequencename AS name, last_value::text AS last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`,
    );
    return {
      serverVersion: version?.server_version ?? 'unknown',
      tables,
      sequences: sequences.map((s) => ({ name: s.name, lastValue: s.last_value })),
    };
  });
}

/** Fixes the settings COPY's text depends on, for the rest of the caller's transaction (before loadTable). */
export async function useCanonicalText(tx: PostgresQueryable): Promise<void> {
  await tx.exec(CANONICAL_TEXT_SETTINGS);
}

/**
 * Loads one table's COPY text (read from the archive) with COPY FROM; identity values are kept as they were
 * (COPY writes the given values, like OVERRIDING SYSTEM VALUE). Run inside a transaction after
 * useCanonicalText. Without `columns` (never in archives that have COPY members) the table's own.
 */
export async function loadTable(tx: PostgresQueryable, table: string, data: AsyncIterable<Uint8Array>, columns?: string[]): Promise<number> {
  return tx.copyIn(copyTarget(table, columns ?? (await copyColumns(tx, table))), data);
}

/** Which tables (the ledger aside) hold rows: a restore refuses to overwrite them without --force. */
export async function isPostgresEmpty(db: PostgresQueryable): Promise<{ empty: boolean; nonEmpty: string[] }> {
  const nonEmpty: string[] = [];
  for (const name of await listTables(db)) {
    const [row] = await db.query<{ present: boolean }>(`SELECT EXISTS (SELECT 1 FROM public.${quoteIdentifier(name)}) AS present`);
    if (row?.present) nonEmpty.push(name);
  }
  return { empty: nonEmpty.length === 0, nonEmpty };
}

/** Drops every table in `public` (ledger included), so the target can be migrated from scratch. */
export async function dropPostgresTables(db: PostgresQueryable): Promise<void> {
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  if (rows.length === 0) return;
  await db.exec(`DROP TABLE IF EXISTS ${rows.map((r) => `public.${quoteIdentifier(r.name)}`).join(', ')} CASCADE`);
}

/** Parents before children, from the target's foreign keys. */
export async function foreignKeyOrder(db: PostgresQueryable, tables: string[]): Promise<string[]> {
  const edges = await db.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public'`,
  );
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  for (const { child, parent } of edges) if (child !== parent && parents.has(child) && parents.has(parent)) parents.get(child)?.add(parent);
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const parent of parents.get(table) ?? []) visit(parent);
    visiting.delete(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

/** Format 1: inserts one table's JSON lines (read from the archive) in batches; identity values are kept as they were. */
export async function loadJsonLinesTable(db: PostgresQueryable, table: string, data: AsyncIterable<Buffer>): Promise<number> {
  const t = `public.${quoteIdentifier(table)}`;
  // OFFSET 0 keeps the cast from being evaluated once per column by (r).* expansion.
  const sql =
    `INSERT INTO ${t} OVERRIDING SYSTEM VALUE SELECT (r).* FROM ` +
    `(SELECT x::${t} AS r FROM json_array_elements_text($1::json) AS x OFFSET 0) s`;
  let batch: string[] = [];
  let rows = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await db.query(sql, [`[${batch.join(',')}]`]);
    rows += batch.length;
    batch = [];
  };
  for await (const line of lines(data)) {
    if (line.length === 0) continue;
    batch.push(line);
    if (batch.length >= JSON_BATCH_ROWS) await flush();
  }
  await flush();
  return rows;
}

/**
 * Runs `load` with the tables' primary keys, unique constraints, other indexes and foreign keys taken off,
 * then puts them back, as pg_restore does: each index is then built once by a sort and each foreign key
 * checked by one join, instead of both per loaded row (a restore took 1.8× as long without this, bench:backup).
 * Must run in the caller's transaction: a failure rolls the schema back with the data. Partitioned tables
 * keep theirs. Names and definitions are the target's own (pg_get_constraintdef, pg_get_indexdef).
 */
export async function withoutIndexes<T>(tx: PostgresQueryable, tables: string[], load: () => Promise<T>): Promise<T> {
  if (tables.length === 0) return load();
  const constraints = await tx.query<{ tbl: string; name: string; kind: string; def: string }>(
    `SELECT t.relname AS tbl, k.conname AS name, k.contype::text AS kind, pg_get_constraintdef(k.oid) AS def
     FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND t.relkind = 'r' AND t.relname = ANY($1::text[]) AND k.contype IN ('p', 'u', 'x', 'f')
     ORDER BY t.relname, k.conname`,
    [tables],
  );
  const allIndexes = await tx.query<{ tbl: string; name: string; def: string }>(
    `SELECT t.relname AS tbl, c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND t.relkind = 'r' AND t.relname = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
     ORDER BY c.relname`,
    [tables],
  );
  // Foreign keys from a table outside the list would block dropping the key they reference: keep those keys.
  const referencedFromOutside = await tx.query<{ tbl: string }>(
    `SELECT DISTINCT p.relname AS tbl FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public' AND p.relname = ANY($1::text[]) AND NOT (c.relname = ANY($1::text[]))`,
    [tables],
  );
  const keep = new Set(referencedFromOutside.map((r) => r.tbl));
  const foreignKeys = constraints.filter((c) => c.kind === 'f');
  const keys = constraints.filter((c) => c.kind !== 'f' && !keep.has(c.tbl));
  const indexes = allIndexes.filter((i) => !keep.has(i.tbl));
  const table = (name: string) => `public.${quoteIdentifier(name)}`;
  const statements = (list: string[]) => (list.length > 0 ? tx.exec(list.join(';\n')) : Promise.resolve());
  await statements([
    ...foreignKeys.map((c) => `ALTER TABLE ${table(c.tbl)} DROP CONSTRAINT ${quoteIdentifier(c.name)}`),
    ...keys.map((c) => `ALTER TABLE ${table(c.tbl)} DROP CONSTRAINT ${quoteIdentifier(c.name)}`),
    ...indexes.map((i) => `DROP INDEX public.${quoteIdentifier(i.name)}`),
  ]);
  const result = await load();
  await statements([
    ...keys.map((c) => `ALTER TABLE ${table(c.tbl)} ADD CONSTRAINT ${quoteIdentifier(c.name)} ${c.def}`),
    ...indexes.map((i) => i.def),
    ...foreignKeys.map((c) => `ALTER TABLE ${table(c.tbl)} ADD CONSTRAINT ${quoteIdentifier(c.name)} ${c.def}`),
  ]);
  return result;
}

export async function restoreSequences(db: PostgresQueryable, sequences: { name: string; lastValue: string | null }[]): Promise<void> {
  for (const { name, lastValue } of sequences) {
    const regclass = `public.${quoteIdentifier(name)}`;
    if (lastValue === null) await db.query('SELECT setval($1::regclass, 1, false)', [regclass]);
    else await db.query('SELECT setval($1::regclass, $2::bigint, true)', [regclass, lastValue]);
  }
}

/** Splits a byte stream into UTF-8 lines without holding more than one chunk plus a partial line. */
export async function* lines(data: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of data) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) yield part;
  }
  rest += decoder.decode();
  if (rest.length > 0) yield rest;
}
