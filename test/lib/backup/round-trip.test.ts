import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../../src/lib/backup/create.js';
import { migrateStores } from '../../../src/lib/db/migrations.js';
import { codeHeads, restoreBackup } from '../../../src/lib/backup/restore.js';
import { clickhouseLedger } from '../../../src/lib/migrate/clickhouse-ledger.js';
import { MIGRATIONS_ROOT, loadMigrations } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../../src/lib/migrate/runner.js';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres-cluster.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { seedStores, snapshot, withOpenStores, type StoreSnapshot } from './fixtures.js';

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
