/**
 * ClickHouse tables exported in Native format (the engine's own columnar wire format: fastest to
 * write and read, types exact) and fed back with insertStream. Collapsing engines are read FINAL, so
 * the restored table holds the collapsed state and background merges cannot change its row count.
 */
import type { ClickHouseStore } from '../storage/clickhouse/types.js';
import type { ClickHouseTableEntry } from './manifest.js';

const LEDGER_TABLES = new Set(['schema_migrations', 'schema_migrations_lock']);

export interface ClickHouseTable {
  name: string;
  engine: string;
  final: boolean;
}

export async function listClickHouseTables(db: ClickHouseStore): Promise<ClickHouseTable[]> {
  const rows = await db.query<{ name: string; engine: string }>(
    `SELECT name, engine FROM system.tables
     WHERE database = {db:String} AND NOT is_temporary AND engine LIKE '%MergeTree' AND NOT startsWith(name, '.')
     ORDER BY name`,
    { db: db.database },
  );
  return rows
    .filter((r) => !LEDGER_TABLES.has(r.name) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(r.name))
    .map((r) => ({ name: r.name, engine: r.engine, final: /Collapsing|Replacing/.test(r.engine) }));
}

const selectAll = (table: ClickHouseTable) => `SELECT * FROM ${table.name}${table.final ? ' FINAL' : ''}`;

/** Row count and an order-free content checksum (sum wraps at 2^64; a doubled row changes it, unlike xor). */
export async function clickhouseChecksum(db: ClickHouseStore, table: ClickHouseTable): Promise<{ rows: number; checksum: string }> {
  const [row] = await db.query<{ n: string; checksum: string }>(
    `SELECT toString(count()) AS n, toString(sum(cityHash64(*))) AS checksum FROM (${selectAll(table)})`,
  );
  return { rows: Number(row?.n ?? 0), checksum: row?.checksum ?? '0' };
}

/** Rows a full export of the table yields (FINAL for collapsing engines). */
export async function clickhouseRowCount(db: ClickHouseStore, table: ClickHouseTable): Promise<number> {
  const [row] = await db.query<{ n: string }>(`SELECT toString(count()) AS n FROM (${selectAll(table)})`);
  return Number(row?.n ?? 0);
}

/**
 * Exports every table. `quiescent`: nothing writes to ClickHouse meanwhile (the spool is held, or we own
 * the embedded store), so the row count taken before the export is exact; otherwise it is counted again
 * after the export and marked approximate when the two differ.
 */
export async function dumpClickHouse(
  db: ClickHouseStore,
  write: (member: string, data: AsyncIterable<Uint8Array>) => Promise<void>,
  options: { quiescent: boolean },
): Promise<{ tables: ClickHouseTableEntry[]; maxEventTimestamp: string | null }> {
  const tables: ClickHouseTableEntry[] = [];
  for (const table of await listClickHouseTables(db)) {
    const rows = await clickhouseRowCount(db, table);
    const member = `clickhouse/${table.name}.native`;
    await write(member, db.stream(selectAll(table), undefined, 'Native'));
    const rowsAfter = options.quiescent ? rows : await clickhouseRowCount(db, table);
    tables.push({
      name: table.name,
      engine: table.engine,
      final: table.final,
      rows: rowsAfter,
      checksum: null,
      rowsExact: rowsAfter === rows,
      member,
    });
  }
  let maxEventTimestamp: string | null = null;
  if (tables.some((t) => t.name === 'events')) {
    const [row] = await db.query<{ max: string; n: string }>(
      `SELECT toString(max(timestamp)) AS max, toString(count()) AS n FROM events`,
    );
    if (row && Number(row.n) > 0) maxEventTimestamp = `${row.max.replace(' ', 'T')}Z`;
  }
  return { tables, maxEventTimestamp };
}

export async function isClickHouseEmpty(db: ClickHouseStore): Promise<{ empty: boolean; nonEmpty: string[] }> {
  const nonEmpty: string[] = [];
  for (const table of await listClickHouseTables(db)) {
    const [row] = await db.query<{ n: string }>(`SELECT toString(count()) AS n FROM (SELECT 1 FROM ${table.name} LIMIT 1)`);
    if (Number(row?.n ?? 0) > 0) nonEmpty.push(table.name);
  }
  return { empty: nonEmpty.length === 0, nonEmpty };
}

/** Drops every table of the database (ledger included) so the target can be migrated from scratch. */
export async function dropClickHouseTables(db: ClickHouseStore): Promise<void> {
  const rows = await db.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = {db:String} AND NOT is_temporary AND NOT startsWith(name, '.')`,
    { db: db.database },
  );
  for (const { name } of rows) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    await db.command(`DROP TABLE IF EXISTS ${name} SYNC`);
  }
}
