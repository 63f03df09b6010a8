import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseLedger } from '../../../src/lib/migrate/clickhouse-ledger.js';
import { loadMigrations, MIGRATIONS_ROOT } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateDown, migrateUp, migrationStatus } from '../../../src/lib/migrate/runner.js';
import { tempDir } from '../../helpers/cli.js';
import { openTempChdb, openTempPglite, type EmbeddedClickHouse, type EmbeddedPostgres } from '../../helpers/embedded.js';

function fixture(files: Record<string, string>): string {
  const dir = tempDir('analytics-migrations-');
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

describe('Postgres migrations (PGlite)', () => {
  let pg: EmbeddedPostgres;
  beforeAll(async () => {
    pg = await openTempPglite();
  });
  afterAll(async () => {
    await pg?.cleanup();
  });

  it('refuses to roll back an irreversible step and changes nothing; reports an edited file', async () => {
    const dir = fixture({
      '0001_things.up.sql': 'CREATE TABLE things (id int);',
      '0001_things.down.sql': 'DROP TABLE things;',
      '0002_backfill.up.sql': 'INSERT INTO things VALUES (1);',
      '0002_backfill.down.sql': '-- irreversible: the old values are gone\n',
    });
    const ledger = postgresLedger(pg.store);
    const up = await migrateUp(ledger, loadMigrations(dir));
    expect(up.steps.map((s) => s.version)).toEqual([1, 2]);

    await expect(migrateDown(ledger, loadMigrations(dir), { steps: 2 })).rejects.toMatchObject({
      code: 'IRREVERSIBLE_MIGRATION',
      message: expect.stringContaining('0002_backfill is irreversible'),
    });
    expect((await migrationStatus(ledger, loadMigrations(dir))).applied).toHaveLength(2);
    expect(await pg.store.query('SELECT id FROM things')).toEqual([{ id: 1 }]);

    writeFileSync(path.join(dir, '0001_things.up.sql'), 'CREATE TABLE things (id bigint);');
    const status = await migrationStatus(ledger, loadMigrations(dir));
    expect(status.edited).toEqual([{ version: 1, name: 'things' }]);
    expect(status.pending).toEqual([]);
  });

  it('rolls a failed migration back whole: its DDL and its ledger row', async () => {
    const dir = fixture({
      '0001_things.up.sql': 'CREATE TABLE IF NOT EXISTS things (id int);',
      '0001_things.down.sql': 'DROP TABLE things;',
      '0002_broken.up.sql': 'CREATE TABLE half_done (id int);\nSELECT no_such_function();',
      '0002_broken.down.sql': 'DROP TABLE half_done;',
    });
    const other = await openTempPglite();
    try {
      const ledger = postgresLedger(other.store);
      await expect(migrateUp(ledger, loadMigrations(dir))).rejects.toThrow(/no_such_function/);
      const status = await migrationStatus(ledger, loadMigrations(dir));
      expect(status.applied.map((a) => a.version)).toEqual([1]);
      expect(await other.store.query(`SELECT to_regclass('half_done') IS NULL AS gone`)).toEqual([{ gone: true }]);
    } finally {
      await other.cleanup();
    }
  });
});

describe('ClickHouse migrations (chDB)', () => {
  let ch: EmbeddedClickHouse;
  beforeAll(async () => {
    ch = await openTempChdb();
  });
  afterAll(async () => {
    await ch?.cleanup();
  });

  it('concurrent runs serialise on the lock table: each migration applied once', async () => {
    const files = loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse'));
    const runs = await Promise.all([1, 2, 3].map(() => migrateUp(clickhouseLedger(ch.store), files)));
    expect(runs.map((r) => r.steps.length).sort()).toEqual([0, 0, files.length]);
    const rows = await ch.store.query<{ version: number; n: string }>(
      "SELECT version, count() AS n FROM schema_migrations WHERE direction = 'up' GROUP BY version ORDER BY version",
    );
    expect(rows.map((r) => [r.version, Number(r.n)])).toEqual(files.map((f) => [f.version, 1]));
    const tables = await ch.store.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('events', 'sessions', 'schema_migrations_lock') ORDER BY name",
    );
    expect(tables.map((t) => t.name)).toEqual(['events', 'sessions']);
  });

  it('rolls back and re-applies, keeping the log of both directions', async () => {
    const files = loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse'));
    const ledger = clickhouseLedger(ch.store);
    await migrateUp(ledger, files);
    const down = await migrateDown(ledger, files, { steps: 1 });
    expect(down.head).toBe(files.length - 1);
    expect((await migrationStatus(ledger, files)).pending.map((p) => p.version)).toEqual([files.length]);
    const up = await migrateUp(ledger, files);
    expect(up.steps.map((s) => s.version)).toEqual([files.length]);
  });

  it('a lock left by a crashed run is reported, then broken with breakLock', async () => {
    const files = loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse'));
    await ch.store.command('CREATE TABLE schema_migrations_lock (run_id String, host String, pid UInt32, at DateTime) ENGINE = TinyLog');
    await expect(migrateUp(clickhouseLedger(ch.store, { lockTimeoutMs: 300 }), files)).rejects.toMatchObject({
      code: 'MIGRATION_LOCKED',
    });
    const run = await migrateUp(clickhouseLedger(ch.store, { breakLock: true }), files);
    expect(run.dryRun).toBe(false);
  });
});
