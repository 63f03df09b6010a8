import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../../src/lib/backup/archive.js';
import { createBackup } from '../../../src/lib/backup/create.js';
import { FORMAT_VERSION, MANIFEST_MEMBER, manifestSchema } from '../../../src/lib/backup/manifest.js';
import { migrateStores } from '../../../src/lib/db/migrations.js';
import { codeHeads, restoreBackup } from '../../../src/lib/backup/restore.js';
import { clickhouseLedger } from '../../../src/lib/migrate/clickhouse-ledger.js';
import { MIGRATIONS_ROOT, loadMigrations } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../../src/lib/migrate/runner.js';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres-cluster.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { seedStores, snapshot, withOpenStores, type StoreSnapshot } from './fixtures.js';

/**
 * An archive the previous backup format (1: Postgres rows as JSON lines, checksums summed by the server)
 * wrote: embedded stores, gzip, 400 seeded events, a user whose name holds a quote, a newline, a tab, a
 * backslash and an accent, a bytea salt, a text[] and NULLs.
 */
const FORMAT_1_ARCHIVE = path.join(import.meta.dirname, 'archives', 'format-1-embedded.tar.gz');

describe('backup → wipe → restore round trips (real PostgreSQL, chDB, PGlite)', () => {
  let cluster: PostgresCluster;
  let temp: TempDir;
  let dbCount = 0;
  const newDatabase = async () => {
    dbCount += 1;
    const name = `analytics_rt_${dbCount}`;
    const client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    return cluster.url(name);
  };
  const dir = (name: string) => path.join(temp.path, name);

  beforeAll(async () => {
    [cluster, temp] = await Promise.all([startPostgresCluster(), makeTempDir('analytics-backup-rt-')]);
  });
  afterAll(async () => {
    await cluster?.stop();
    await temp?.remove();
  });

  let embeddedArchive: string;
  let embeddedSnapshot: StoreSnapshot;

  it('embedded (PGlite + chDB): identical tables, checksums and Stats API answers after restoring into a wiped data dir', async () => {
    const dataDir = dir('embedded');
    embeddedSnapshot = await seedStores({ dataDir });
    expect(Number(embeddedSnapshot.clickhouse.events?.rows)).toBeGreaterThan(15_000);
    expect(embeddedSnapshot.postgres.users?.rows).toBe(1);
    // The Stats API answers compared after the round trip are real numbers, not empty results.
    expect(Object.keys(embeddedSnapshot.statsApi)).toHaveLength(5);
    const aggregate = Object.entries(embeddedSnapshot.statsApi).find(([key]) => key.startsWith('aggregate'))?.[1] as {
      results: { visitors: { value: number } };
    };
    expect(aggregate.results.visitors.value).toBeGreaterThan(1000);
    const backup = await withOpenStores({ dataDir }, (stores) => createBackup(stores, { dir: dir('backups') }));
    expect(backup.mode).toBe('embedded');
    expect(backup.tables.find((t) => t.name === 'events')?.rows).toBe(embeddedSnapshot.clickhouse.events?.rows);
    embeddedArchive = backup.path;

    await rm(dataDir, { recursive: true, force: true });
    const restored = await withOpenStores({ dataDir }, async (stores) => {
      const result = await restoreBackup(stores, backup.path, { identities: [], force: false });
      return { result, after: await snapshot(stores) };
    });
    expect(restored.result.tables.every((t) => t.checksumMatches)).toBe(true);
    expect(restored.after).toEqual(embeddedSnapshot);

    // The current format: Postgres tables as COPY text members, each with its column list.
    let manifestText = '';
    const names: string[] = [];
    for await (const member of readArchive(backup.path)) {
      names.push(member.name);
      for await (const chunk of member.data) if (member.name === MANIFEST_MEMBER) manifestText += chunk.toString('utf8');
    }
    const manifest = manifestSchema.parse(JSON.parse(manifestText));
    expect(manifest.formatVersion).toBe(FORMAT_VERSION);
    expect(names).toContain('postgres/users.copy');
    expect(manifest.postgres.tables.find((t) => t.name === 'salts')).toMatchObject({ rows: 1, columns: ['id', 'salt', 'created_at'] });
  });

  it('restores a format-1 archive (JSON lines) into PGlite and into PostgreSQL, checked with its server-side checksums', async () => {
    for (const options of [{ dataDir: dir('format1-embedded') }, { dataDir: dir('format1-server'), databaseUrl: await newDatabase() }]) {
      const result = await withOpenStores(options, async (stores) => {
        const restored = await restoreBackup(stores, FORMAT_1_ARCHIVE, { identities: [], force: false });
        const [user] = await stores.postgres.query<{ name: string }>(`SELECT name FROM users`);
        const [salt] = await stores.postgres.query<{ hex: string; at: string }>(
          `SELECT encode(salt, 'hex') AS hex, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at FROM salts`,
        );
        const [report] = await stores.postgres.query<{ to: string[]; error: string | null }>(
          `SELECT delivered_to AS to, last_error AS error FROM sent_reports`,
        );
        return { restored, user, salt, report };
      });
      expect(result.restored.tables.every((t) => t.checksumMatches)).toBe(true);
      const rows = Object.fromEntries(result.restored.tables.map((t) => [`${t.store}.${t.name}`, t.rows]));
      expect(rows).toMatchObject({ 'clickhouse.events': 402, 'clickhouse.sessions': 125, 'postgres.users': 1, 'postgres.api_keys': 1 });
      expect(result.user?.name).toBe('Owner "Quote"\nNewline\tTab \\ é');
      expect(result.salt).toEqual({ hex: '00ff0a5c', at: '2026-11-19 23:59:59.123456' });
      expect(result.report).toEqual({ to: ['a@example.com', 'b "c"@example.com'], error: null });
    }
  });

  it('server PostgreSQL + chDB: identical after dropping and recreating the database', async () => {
    const options = { dataDir: dir('mixed'), databaseUrl: await newDatabase() };
    const before = await seedStores(options);
    const backup = await withOpenStores(options, (stores) => createBackup(stores, { dir: dir('backups-mixed') }));
    expect(backup.mode).toBe('mixed');

    const wiped = { dataDir: dir('mixed-wiped'), databaseUrl: await newDatabase() };
    const after = await withOpenStores(wiped, async (stores) => {
      await restoreBackup(stores, backup.path, { identities: [], force: false });
      return snapshot(stores);
    });
    expect(after).toEqual(before);
  });

  it('across modes: the embedded backup restores into PostgreSQL + chDB, and a backup of that back into embedded', async () => {
    const server = { dataDir: dir('cross-server'), databaseUrl: await newDatabase() };
    const { onServer, backBackup } = await withOpenStores(server, async (stores) => {
      const restored = await restoreBackup(stores, embeddedArchive, { identities: [], force: false });
      expect(restored.fromMode).toBe('embedded');
      expect(restored.toMode).toBe('mixed');
      return { onServer: await snapshot(stores), backBackup: await createBackup(stores, { dir: dir('backups-cross') }) };
    });
    expect(onServer).toEqual(embeddedSnapshot);

    const back = await withOpenStores({ dataDir: dir('cross-embedded') }, async (stores) => {
      await restoreBackup(stores, backBackup.path, { identities: [], force: false });
      return snapshot(stores);
    });
    expect(back).toEqual(embeddedSnapshot);
  });

  it('migrates a backup of an older schema forward after restoring it', async () => {
    const dataDir = dir('old-schema');
    const backup = await withOpenStores({ dataDir }, async (stores) => {
      await migrateUp(postgresLedger(stores.postgres), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')), { to: 1 });
      await migrateUp(clickhouseLedger(stores.clickhouse), loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse')), { to: 1 });
      await stores.postgres.query(`INSERT INTO sites (domain) VALUES ('old.example')`);
      return createBackup(stores, { dir: dir('backups-old') });
    });
    expect(backup.migrations).toEqual({ postgres: 1, clickhouse: 1 });
    const heads = codeHeads();
    const result = await withOpenStores({ dataDir: dir('old-schema-restored') }, async (stores) => {
      const restored = await restoreBackup(stores, backup.path, { identities: [], force: false });
      return { restored, after: await snapshot(stores) };
    });
    // Versions may skip numbers (0005 is reserved): count the migration files after version 1.
    const laterMigrations = (store: 'postgres' | 'clickhouse') =>
      loadMigrations(path.join(MIGRATIONS_ROOT, store)).filter((migration) => migration.version > 1).length;
    expect(result.restored.migratedForward).toBe(laterMigrations('postgres') + laterMigrations('clickhouse'));
    expect(result.after.heads).toEqual(heads);
    expect(result.after.postgres.sites?.rows).toBe(1);
  });

  it('refuses an archive from a newer schema and leaves the target as it was', async () => {
    const backup = await withOpenStores({ dataDir: dir('newer-schema') }, async (stores) => {
      await migrateStores(stores, { store: 'all' });
      // A ledger row no migration file of this code has: the database is newer than the code.
      await stores.postgres.query(`INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'from_the_future', 'x')`);
      return createBackup(stores, { dir: dir('backups-newer') });
    });
    expect(backup.migrations.postgres).toBe(999);
    const target = { dataDir: dir('newer-target') };
    const before = await seedStores(target, 2_000);
    await withOpenStores(target, async (stores) => {
      await expect(restoreBackup(stores, backup.path, { identities: [], force: true })).rejects.toMatchObject({
        code: 'BACKUP_SCHEMA_NEWER',
      });
      expect(await snapshot(stores)).toEqual(before);
    });
  });
});
