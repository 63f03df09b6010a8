import { existsSync } from 'node:fs';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { statusOfStores } from '../db/migrations.js';
import type { OpenedStores } from '../storage/open.js';
import { APP_VERSION } from '../version.js';
import { ArchiveWriter } from './archive.js';
import { dumpClickHouse } from './clickhouse-data.js';
import { defaultCompression, type Compression } from './codec.js';
import { FORMAT_VERSION, MANIFEST_MEMBER, manifestSchema, type BackupManifest } from './manifest.js';
import { dumpPostgres, foreignKeyOrder } from './postgres-data.js';
import { sidecarPath, type Sidecar } from './sidecar.js';

/**
 * Runs fn while the ingest spool is flushed and held: everything acknowledged before is in
 * ClickHouse, and nothing is written to ClickHouse until fn returns (new events wait in the spool).
 * Given by the running server; without one nothing writes to the stores we hold.
 */
export type IngestHold = <T>(fn: () => Promise<T>) => Promise<T>;

export interface CreateBackupOptions {
  dir: string;
  recipient?: string | undefined;
  compression?: Compression;
  holdIngest?: IngestHold | undefined;
  onProgress?: (step: string) => void;
  now?: () => Date;
}

export interface BackupTableSummary {
  store: 'postgres' | 'clickhouse';
  name: string;
  rows: number;
}

export interface BackupCreateResult {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  mode: BackupManifest['storage']['mode'];
  compression: Compression;
  encrypted: boolean;
  migrations: BackupManifest['migrations'];
  watermark: BackupManifest['watermark'];
  tables: BackupTableSummary[];
  durationMs: number;
  /** True when the server ran the backup (it owns the embedded stores while it runs). */
  viaServer: boolean;
}

export function archiveFileName(createdAt: Date, compression: Compression, encrypted: boolean): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `analytics-${stamp}.tar.${compression === 'zstd' ? 'zst' : 'gz'}${encrypted ? '.age' : ''}`;
}

/** Writes one archive of both stores into options.dir (see archive.ts for the layout). */
export async function createBackup(stores: OpenedStores, options: CreateBackupOptions): Promise<BackupCreateResult> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const report = options.onProgress ?? (() => undefined);
  const compression = options.compression ?? defaultCompression();
  await mkdir(options.dir, { recursive: true });
  const createdAt = now();
  let fileName = archiveFileName(createdAt, compression, Boolean(options.recipient));
  for (let n = 2; existsSync(path.join(options.dir, fileName)); n += 1) {
    fileName = fileName.replace(/^analytics-(\d{8}T\d{6}Z)(-\d+)?/, `analytics-$1-${n}`);
  }
  const archivePath = path.join(options.dir, fileName);
  const status = await statusOfStores(stores, { store: 'all' });
  const head = (store: 'postgres' | 'clickhouse') => status.stores.find((s) => s.store === store)?.head ?? 0;

  const writer = ArchiveWriter.create(archivePath, { compression, recipient: options.recipient });
  try {
    const write = async (member: string, data: AsyncIterable<Uint8Array>) => {
      report(`writing ${member}`);
      await writer.addMember(member, data);
    };
    report('reading PostgreSQL (one snapshot)');
    const postgres = await dumpPostgresInForeignKeyOrder(stores, write);
    report('flushing the ingest spool and reading ClickHouse');
    const hold: IngestHold = options.holdIngest ?? ((fn) => fn());
    const clickhouse = await hold(async () => {
      const at = now().toISOString();
      // Quiescent when the server holds its spool, or when no server can write (embedded stores are ours).
      const quiescent = Boolean(options.holdIngest) || stores.mode !== 'servers';
      const dumped = await dumpClickHouse(stores.clickhouse, write, { quiescent });
      return { at, ...dumped };
    });
    const manifest: BackupManifest = manifestSchema.parse({
      format: 'analytics-backup',
      formatVersion: FORMAT_VERSION,
      app: { version: APP_VERSION },
      createdAt: createdAt.toISOString(),
      storage: { mode: stores.mode, postgres: stores.postgres.kind, clickhouse: stores.clickhouse.kind },
      migrations: { postgres: head('postgres'), clickhouse: head('clickhouse') },
      watermark: { at: clickhouse.at, spoolFlushed: Boolean(options.holdIngest), maxEventTimestamp: clickhouse.maxEventTimestamp },
      postgres,
      clickhouse: { tables: clickhouse.tables },
      members: Object.fromEntries(writer.digests),
    });
    await writer.addFile(MANIFEST_MEMBER, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    report('syncing the archive');
    const written = await writer.finish();
    const sidecar: Sidecar = { manifest, archive: { file: fileName, bytes: written.bytes, sha256: written.sha256 } };
    await writeSidecar(archivePath, sidecar);
    return {
      name: fileName,
      path: archivePath,
      bytes: written.bytes,
      sha256: written.sha256,
      createdAt: manifest.createdAt,
      mode: manifest.storage.mode,
      compression,
      encrypted: written.encrypted,
      migrations: manifest.migrations,
      watermark: manifest.watermark,
      tables: [
        ...manifest.postgres.tables.map((t) => ({ store: 'postgres' as const, name: t.name, rows: t.rows })),
        ...manifest.clickhouse.tables.map((t) => ({ store: 'clickhouse' as const, name: t.name, rows: t.rows })),
      ],
      durationMs: Date.now() - started,
      viaServer: false,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function dumpPostgresInForeignKeyOrder(
  stores: OpenedStores,
  write: (member: string, data: AsyncIterable<Uint8Array>) => Promise<void>,
) {
  // Restore streams members in archive order, so parents must come before the tables that reference them.
  const snapshot = await dumpPostgres(stores.postgres, write, (tx, tables) => foreignKeyOrder(tx, tables));
  return snapshot;
}

/** The sidecar (NAME.json) is a readable copy of the manifest for `backup list`, plus the archive's own digest. */
export async function writeSidecar(archivePath: string, sidecar: Sidecar): Promise<void> {
  const target = sidecarPath(archivePath);
  const temp = `${target}.tmp-${process.pid}`;
  await writeFile(temp, `${JSON.stringify(sidecar, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, target);
}
