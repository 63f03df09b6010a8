import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.js';
import { migrateStores } from '../db/migrations.js';
import { clickhouseLedger } from '../migrate/clickhouse-ledger.js';
import { MIGRATIONS_ROOT, loadMigrations } from '../migrate/files.js';
import { postgresLedger } from '../migrate/postgres-ledger.js';
import { migrateUp } from '../migrate/runner.js';
import type { OpenedStores } from '../storage/open.js';
import { readArchive, type ArchiveMember, type ArchiveReadInfo } from './archive.js';
import { clickhouseChecksum, dropClickHouseTables, isClickHouseEmpty, listClickHouseTables } from './clickhouse-data.js';
import { parseIdentities } from './codec.js';
import type { IngestHold } from './create.js';
import { BackupCorruptError } from './errors.js';
import { COPY_FORMAT_VERSION, FORMAT_VERSION, MANIFEST_MEMBER, manifestSchema, type BackupManifest } from './manifest.js';
import {
  copyChecksum,
  dropPostgresTables,
  isPostgresEmpty,
  loadJsonLinesTable,
  loadTable,
  restoreSequences,
  tableChecksum,
  useCanonicalText,
  withoutIndexes,
} from './postgres-data.js';

export interface CheckedArchive {
  path: string;
  manifest: BackupManifest;
  info: ArchiveReadInfo;
}

export function readIdentityFiles(files: string[]): string[] {
  const identities: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) {
      throw new UserError(`The identity file ${file} does not exist`, { code: 'BACKUP_IDENTITY_MISSING' });
    }
    const found = parseIdentities(readFileSync(file, 'utf8'));
    if (found.length === 0) {
      throw new UserError(`${file} holds no age identity (a line starting with AGE-SECRET-KEY-)`, { code: 'BACKUP_IDENTITY_INVALID' });
    }
    identities.push(...found);
  }
  return identities;
}

export function requireArchive(archivePath: string): void {
  if (!existsSync(archivePath)) {
    throw new UserError(`There is no backup archive at ${archivePath}`, {
      code: 'BACKUP_NOT_FOUND',
      actions: ['analytics backup list   (names of the backups in BACKUP_DIR)'],
    });
  }
}

/**
 * Reads the whole archive once without touching any store: every member's sha256 and size must match
 * the manifest, the manifest must be there (a truncated archive loses it) and of a format we know.
 */
export async function checkArchive(archivePath: string, identities: string[]): Promise<CheckedArchive> {
  requireArchive(archivePath);
  const info: ArchiveReadInfo = { encrypted: false };
  const seen = new Map<string, { sha256: string; bytes: number }>();
  let manifestText: string | undefined;
  for await (const member of readArchive(archivePath, { identities, info })) {
    if (member.name === MANIFEST_MEMBER) {
      const chunks: Buffer[] = [];
      for await (const chunk of member.data) chunks.push(chunk);
      manifestText = Buffer.concat(chunks).toString('utf8');
      continue;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of member.data) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    seen.set(member.name, { sha256: hash.digest('hex'), bytes });
  }
  if (manifestText === undefined) throw new BackupCorruptError(archivePath, 'the manifest is missing (the archive is cut off)');
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(manifestText));
  } catch (error) {
    throw new BackupCorruptError(archivePath, `the manifest is unreadable (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (manifest.formatVersion > FORMAT_VERSION) {
    throw new UserError(`${archivePath} is in backup format ${manifest.formatVersion}; this analytics reads up to ${FORMAT_VERSION}`, {
      code: 'BACKUP_FORMAT_NEWER',
      actions: [`upgrade analytics to ${manifest.app.version} or later, then restore`],
    });
  }
  for (const [name, expected] of Object.entries(manifest.members)) {
    const actual = seen.get(name);
    if (!actual) throw new BackupCorruptError(archivePath, `member ${name} is missing`);
    if (actual.sha256 !== expected.sha256 || actual.bytes !== expected.bytes) {
      throw new BackupCorruptError(archivePath, `member ${name} does not match its sha256 in the manifest`);
    }
  }
  for (const name of seen.keys()) {
    if (!(name in manifest.members)) throw new BackupCorruptError(archivePath, `member ${name} is not in the manifest`);
  }
  return { path: archivePath, manifest, info };
}

/** The newest migration version this code knows, per store. */
export function codeHeads(migrationsRoot = MIGRATIONS_ROOT): { postgres: number; clickhouse: number } {
  const head = (store: 'postgres' | 'clickhouse') =>
    loadMigrations(path.join(migrationsRoot, store)).reduce((max, m) => Math.max(max, m.version), 0);
  return { postgres: head('postgres'), clickhouse: head('clickhouse') };
}

export interface RestoreOptions {
  identities: string[];
  force: boolean;
  holdIngest?: IngestHold | undefined;
  onProgress?: (step: string) => void;
  /** Skip the final forward migration (backup verify compares the data as it was). */
  migrateForward?: boolean;
}

export interface RestoreTableResult {
  store: 'postgres' | 'clickhouse';
  name: string;
  rows: number;
  /** Rows (and the content checksum, where the manifest has one) as the manifest says. */
  checksumMatches: boolean;
  /** Content checksum of the restored table (compare two restores, or with the source). */
  checksum: string;
}

export interface RestoreResult {
  archive: string;
  createdAt: string;
  fromMode: BackupManifest['storage']['mode'];
  toMode: OpenedStores['mode'];
  backupMigrations: BackupManifest['migrations'];
  migratedForward: number;
  tables: RestoreTableResult[];
  watermark: BackupManifest['watermark'];
  durationMs: number;
  viaServer: boolean;
}

/**
 * `restore`: check the archive completely first, refuse a newer schema and a non-empty target
 * (unless forced), then replace both stores' contents: drop, migrate to the archive's heads, load,
 * compare counts and checksums with the manifest, migrate forward to this code's heads.
 */
export async function restoreBackup(stores: OpenedStores, archivePath: string, options: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const report = options.onProgress ?? (() => undefined);
  report('checking the archive (checksums, manifest)');
  const checked = await checkArchive(archivePath, options.identities);
  const { manifest } = checked;
  const heads = codeHeads();
  for (const store of ['postgres', 'clickhouse'] as const) {
    if (manifest.migrations[store] > heads[store]) {
      throw new UserError(
        `The backup's ${store} schema (migration ${manifest.migrations[store]}) is newer than this analytics knows ` +
          `(${heads[store]}). Nothing was changed.`,
        { code: 'BACKUP_SCHEMA_NEWER', actions: [`upgrade analytics to ${manifest.app.version} or later, then restore`] },
      );
    }
  }
  if (!options.force) {
    const pg = await isPostgresEmpty(stores.postgres);
    const ch = await isClickHouseEmpty(stores.clickhouse);
    if (!pg.empty || !ch.empty) {
      throw new UserError(
        `The target is not empty (${[...pg.nonEmpty.map((t) => `postgres ${t}`), ...ch.nonEmpty.map((t) => `clickhouse ${t}`)].join(', ')}). ` +
          'Nothing was changed.',
        { code: 'RESTORE_TARGET_NOT_EMPTY', actions: ['take a backup of it first (analytics backup create), then restore with --force'] },
      );
    }
  }
  const hold: IngestHold = options.holdIngest ?? ((fn) => fn());
  const tables = await hold(() => replaceContents(stores, checked, options, report));
  let migratedForward = 0;
  if (options.migrateForward !== false) {
    report('migrating forward to this version');
    migratedForward = (await migrateStores(stores, { store: 'all' })).applied;
  }
  return {
    archive: archivePath,
    createdAt: manifest.createdAt,
    fromMode: manifest.storage.mode,
    toMode: stores.mode,
    backupMigrations: manifest.migrations,
    migratedForward,
    tables,
    watermark: manifest.watermark,
    durationMs: Date.now() - started,
    viaServer: false,
  };
}

async function replaceContents(
  stores: OpenedStores,
  checked: CheckedArchive,
  options: RestoreOptions,
  report: (step: string) => void,
): Promise<RestoreTableResult[]> {
  const { manifest } = checked;
  report('emptying the target');
  await dropPostgresTables(stores.postgres);
  await dropClickHouseTables(stores.clickhouse);
  report(`migrating the empty target to the backup's schema`);
  await migrateTo(stores, manifest.migrations);

  const pgByMember = new Map(manifest.postgres.tables.map((t) => [t.member, t]));
  const chByMember = new Map(manifest.clickhouse.tables.map((t) => [t.member, t]));
  const members = readArchive(checked.path, { identities: options.identities });
  let next = await members.next();
  const copyMembers = manifest.formatVersion >= COPY_FORMAT_VERSION;
  // Postgres members come first in the archive, parents before children: one transaction for all.
  await stores.postgres.transaction(async (tx) => {
    if (copyMembers) await useCanonicalText(tx);
    await withoutIndexes(tx, manifest.postgres.tables.map((t) => t.name), async () => {
      while (!next.done && pgByMember.has(next.value.name)) {
        const table = pgByMember.get(next.value.name);
        if (table) {
          report(`loading postgres ${table.name}`);
          if (copyMembers) await loadTable(tx, table.name, next.value.data, table.columns);
          else await loadJsonLinesTable(tx, table.name, next.value.data);
        }
        next = await members.next();
      }
      report('building the postgres indexes and checking foreign keys');
    });
    await restoreSequences(tx, manifest.postgres.sequences);
  });
  while (!next.done) {
    const member: ArchiveMember = next.value;
    const table = chByMember.get(member.name);
    if (table) {
      report(`loading clickhouse ${table.name}`);
      await stores.clickhouse.insertStream(table.name, 'Native', member.data);
    }
    next = await members.next();
  }

  report('comparing row counts and checksums with the manifest');
  const results: RestoreTableResult[] = [];
  const mismatches: string[] = [];
  for (const table of manifest.postgres.tables) {
    const actual = copyMembers
      ? await copyChecksum(stores.postgres, table.name, table.columns)
      : await tableChecksum(stores.postgres, table.name);
    const ok = actual.rows === table.rows && actual.checksum === table.checksum;
    if (!ok) mismatches.push(`postgres ${table.name}: ${actual.rows} rows, backup had ${table.rows}`);
    results.push({ store: 'postgres', name: table.name, rows: actual.rows, checksumMatches: ok, checksum: actual.checksum });
  }
  const chTables = new Map((await listClickHouseTables(stores.clickhouse)).map((t) => [t.name, t]));
  for (const table of manifest.clickhouse.tables) {
    const actual = await clickhouseChecksum(stores.clickhouse, chTables.get(table.name) ?? { name: table.name, engine: table.engine, final: table.final });
    const rowsOk = actual.rows === table.rows || !table.rowsExact;
    const ok = rowsOk && (table.checksum === null || actual.checksum === table.checksum);
    if (!ok) mismatches.push(`clickhouse ${table.name}: ${actual.rows} rows, backup had ${table.rows}`);
    results.push({ store: 'clickhouse', name: table.name, rows: actual.rows, checksumMatches: ok, checksum: actual.checksum });
  }
  if (mismatches.length > 0) {
    throw new UserError(`The restored data does not match the backup's manifest: ${mismatches.join('; ')}`, {
      code: 'RESTORE_MISMATCH',
      details: { mismatches },
    });
  }
  return results;
}

async function migrateTo(stores: OpenedStores, heads: BackupManifest['migrations']): Promise<void> {
  if (heads.postgres > 0) {
    await migrateUp(postgresLedger(stores.postgres), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')), { to: heads.postgres });
  }
  if (heads.clickhouse > 0) {
    await migrateUp(clickhouseLedger(stores.clickhouse), loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse')), { to: heads.clickhouse });
  }
}
