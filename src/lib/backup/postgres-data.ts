/**
 * Postgres data in a form both PostgreSQL and PGlite read back, in either direction: each table's
 * rows as their composite text (`t::text`, the type's own I/O, exact for every column type), one JSON
 * string per line, read in one REPEATABLE READ snapshot. The schema is not dumped: restore migrates
 * the target to the archive's migration head, loads the rows, then migrates forward.
 */
import type { PostgresQueryable, PostgresStore } from '../storage/postgres/types.js';
import { quoteIdentifier } from '../storage/postgres/url.js';
import type { TableEntry } from './manifest.js';

/** The migration ledger is rebuilt by migrating the target, never copied. */
const LEDGER_TABLES = new Set(['schema_migrations']);
const BATCH_ROWS = 20_000;
const CURSOR = 'analytics_backup_rows';
/**
 * A row's hash: 64 bits of `hashtextextended` over its text (the hash PostgreSQL keeps stable across versions
 * for hash partitioning; cheaper than md5 plus bit casts). The table checksum is their sum (numeric in SQL,
 * BigInt in JS, so no overflow): order-free, no sort of the whole table, and a doubled row changes it.
 */
const ROW_HASH_SQL = `hashtextextended(t::text, 0)`;

export interface PostgresSnapshot {
  serverVersion: string;
  tables: TableEntry[];
  sequences: { name: string; lastValue: string | null }[];
}

export async function listTables(db: PostgresQueryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  return rows.map((r) => r.name).filter((name) => !LEDGER_TABLES.has(name));
}

export async function tableChecksum(db: PostgresQueryable, table: string): Promise<{ rows: number; checksum: string }> {
  const t = `public.${quoteIdentifier(table)}`;
  const [row] = await db.query<{ n: string; checksum: string }>(
    `SELECT count(*)::text AS n, coalesce(sum(${ROW_HASH_SQL}), 0)::text AS checksum FROM ${t} t`,
  );
  return { rows: Number(row?.n ?? 0), checksum: row?.checksum ?? '' };
}

/**
 * Reads every table inside one read-only snapshot; `write` stores each table's lines as an archive member,
 * in the order `order` gives (parents first, since restore streams members in archive order).
 */
export async function dumpPostgres(
  store: PostgresStore,
  write: (member: string, lines: AsyncIterable<Uint8Array>) => Promise<void>,
  order: (tx: PostgresQueryable, tables: string[]) => Promise<string[]> = async (_tx, tables) => tables,
): Promise<PostgresSnapshot> {
  return store.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const [version] = await tx.query<{ server_version: string }>('SHOW server_version');
    const tables: TableEntry[] = [];
    for (const name of await order(tx, await listTables(tx))) {
      const member = `postgres/${name}.jsonl`;
      const totals = { rows: 0 };
      await write(member, rowLines(tx, name, totals));
      // A second, server-side pass in the same snapshot: cheaper than hashing every row on the client.
      const { rows, checksum } = await tableChecksum(tx, name);
      if (rows !== totals.rows) throw new Error(`${name}: ${totals.rows} rows written but ${rows} counted in the same snapshot`);
      tables.push({ name, rows, checksum, member });
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

/** One table's rows as JSON lines. */
async function* rowLines(tx: PostgresQueryable, table: string, totals: { rows: number }): AsyncGenerator<Uint8Array> {
  // The server writes each line's JSON (to_json of the row text) so the client only concatenates.
  const sql = `SELECT to_json(t::text)::text AS r FROM public.${quoteIdentifier(table)} t`;
  const fetch = () => {
    const batch = tx.query<{ r: string }>(`FETCH ${BATCH_ROWS} FROM ${CURSOR}`);
    batch.catch(() => undefined); // awaited below; a failure surfaces there
    return batch;
  };
  await tx.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${sql}`);
  try {
    // The next FETCH is sent before this batch is encoded: the server reads while we write (pg_dump's
    // COPY overlaps the same way), instead of each side waiting for the other.
    let next: Promise<{ r: string }[]> | undefined = fetch();
    while (next) {
      const batch: { r: string }[] = await next;
      next = batch.length === BATCH_ROWS ? fetch() : undefined;
      let text = '';
      for (const row of batch) text += `${row.r}\n`;
      totals.rows += batch.length;
      if (text) yield Buffer.from(text, 'utf8');
    }
  } finally {
    await tx.exec(`CLOSE ${CURSOR}`).catch(() => undefined);
  }
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

/** Inserts one table's lines (read from the archive) in batches; identity values are kept as they were. */
export async function loadTable(db: PostgresQueryable, table: string, data: AsyncIterable<Buffer>): Promise<number> {
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
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  return rows;
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
