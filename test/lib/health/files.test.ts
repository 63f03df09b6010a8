import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupCheck, listBackups } from '../../../src/lib/health/backups.js';
import { classifyDisk, clickhouseVolumes, diskCheck } from '../../../src/lib/health/disk.js';
import { classifySpool, measureSpoolFiles } from '../../../src/lib/health/spool.js';
import { classifySystemLogs } from '../../../src/lib/health/stores.js';
import { Flusher, Spool, createClickHouseSink } from '../../../src/lib/spool/index.js';
import type { OpenedStores } from '../../../src/lib/storage/open.js';
import { classifyProbe, runProbe } from '../../../src/lib/health/probe.js';
import { tempDir } from '../../helpers/cli.js';
import { recordFor } from '../spool/fixtures/rows.js';
import { openTempChdb } from '../../helpers/embedded.js';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs.js';

const HOUR = 3_600_000;

describe('disk check on a real 8 MiB tmpfs', () => {
  let fs: Tmpfs;
  beforeAll(async () => {
    fs = await mountTmpfs(8);
  });
  afterAll(async () => {
    await fs?.unmount();
  });

  it.each([
    [0.5, 'OK'],
    [0.15, 'WARNING'],
    [0.05, 'CRITICAL'],
  ] as const)('%s free → %s', async (free, status) => {
    await fs.fillTo(free);
    const outcome = await diskCheck({ DATA_DIR: path.join(fs.dir, 'data'), BACKUP_DIR: path.join(fs.dir, 'backups') });
    expect(outcome.status).toBe(status);
    const volumes = outcome.details?.volumes as { labels: string[]; freeRatio: number }[];
    expect(volumes).toHaveLength(1);
    expect(volumes[0]?.labels).toEqual(['DATA_DIR', 'BACKUP_DIR']);
    expect(volumes[0]?.freeRatio).toBeCloseTo(free, 1);
    if (status !== 'OK') expect(outcome.next).toMatch(/free space/);
  });

  it('reports the worst of two volumes', async () => {
    await fs.fillTo(0.05);
    const outcome = await diskCheck({ DATA_DIR: tempDir(), BACKUP_DIR: path.join(fs.dir, 'backups') });
    expect(outcome.status).toBe('CRITICAL');
    expect((outcome.details?.volumes as unknown[]).length).toBe(2);
    expect(outcome.next).toContain('backup prune');
  });
});

describe('ClickHouse disks (system.disks), and the probe while a backup holds ingestion', () => {
  it('reads the disks as ClickHouse sees them, and a nearly full one is CRITICAL with a ClickHouse next step; the probe skips during a hold', async () => {
    const chdb = await openTempChdb();
    try {
      const volumes = await clickhouseVolumes(chdb.store);
      expect(volumes.length).toBeGreaterThan(0);
      expect(volumes[0]).toMatchObject({ labels: ['ClickHouse disk default'], path: expect.stringContaining(chdb.dir) });
      expect(volumes[0]!.totalBytes).toBeGreaterThan(volumes[0]!.freeBytes);
      const full = { ...volumes[0]!, freeBytes: volumes[0]!.totalBytes * 0.05, freeRatio: 0.05 };
      const outcome = await diskCheck({ DATA_DIR: tempDir() }, [full]);
      expect(outcome).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining("ClickHouse server's disk") });
      expect(classifyDisk([full]).message).toContain('ClickHouse disk default');

      // While a backup holds the flusher, the probe must not write to ClickHouse: it is skipped, UNKNOWN.
      const spool = await Spool.open({ dir: path.join(tempDir(), 'spool') });
      const flusher = new Flusher({ spool, sink: createClickHouseSink(chdb.store) });
      try {
        const stores = { clickhouse: chdb.store } as unknown as OpenedStores;
        const during = await flusher.hold(() => runProbe({ stores, flusher, serverUrl: () => 'http://127.0.0.1:1', invalidateSites: () => undefined }));
        expect(during).toMatchObject({ ok: false, skipped: expect.stringContaining('backup') });
        expect(classifyProbe(during)).toMatchObject({ status: 'UNKNOWN', value: expect.stringMatching(/^skipped/) });
        expect(flusher.status().held).toBe(false);
      } finally {
        await flusher.stop();
        await spool.close();
      }
    } finally {
      await chdb.cleanup();
    }
  });
});

describe('newest backup age', () => {
  const dir = tempDir();
  const archive = (name: string, ageMs: number) => {
    const file = path.join(dir, name);
    writeFileSync(file, 'archive');
    const at = new Date(Date.now() - ageMs);
    utimesSync(file, at, at);
  };

  it('no backup → WARNING with analytics backup create', async () => {
    const missing = await backupCheck(path.join(dir, 'nothing-here'));
    expect(missing).toMatchObject({ status: 'WARNING', value: 'no backup', next: 'analytics backup create' });
  });

  it('ignores temporary and foreign files, then ages the newest archive through OK, WARNING, CRITICAL', async () => {
    archive('analytics-20260101.tar.zst.tmp', 0);
    archive('notes.txt', 0);
    archive('analytics-old.tar.gz', 9 * 24 * HOUR);
    expect((await backupCheck(dir)).status).toBe('CRITICAL');
    archive('analytics-mid.tar.zst', 30 * HOUR);
    expect(await backupCheck(dir)).toMatchObject({ status: 'WARNING', next: expect.stringContaining('analytics backup create') });
    archive('analytics-new.tar.zst.age', 2 * HOUR);
    const fresh = await backupCheck(dir);
    expect(fresh.status).toBe('OK');
    expect(fresh.value).toContain('analytics-new.tar.zst.age');
    expect((await listBackups(dir)).map((b) => path.basename(b.file))).toEqual([
      'analytics-new.tar.zst.age',
      'analytics-mid.tar.zst',
      'analytics-old.tar.gz',
    ]);
  });
});

describe('spool left by a stopped server', () => {
  it('empty → OK, events waiting → WARNING, waiting for hours → CRITICAL', async () => {
    const dataDir = tempDir();
    expect(classifySpool(await measureSpoolFiles(dataDir)).status).toBe('OK');

    const spool = await Spool.open({ dir: path.join(dataDir, 'spool') });
    await spool.append(recordFor(1));
    await spool.close();
    const waiting = await measureSpoolFiles(dataDir);
    expect(waiting.pendingBytes).toBeGreaterThan(0);
    expect(classifySpool(waiting)).toMatchObject({ status: 'WARNING', next: expect.stringContaining('analytics start') });

    const segment = path.join(dataDir, 'spool', '000000000001.seg');
    const old = new Date(Date.now() - 2 * HOUR);
    utimesSync(segment, old, old);
    const stale = classifySpool(await measureSpoolFiles(dataDir));
    expect(stale.status).toBe('CRITICAL');
    expect(stale.value).toMatch(/oldest 2\.0 h/);
  });

  it('counts what the segments hold, not the zeros of a zero-filled spare (a server killed mid-segment)', async () => {
    const dataDir = tempDir();
    const spool = path.join(dataDir, 'spool');
    mkdirSync(spool);
    // A spare that was never written to, and one a killed server had written two records into.
    writeFileSync(path.join(spool, '000000000002.seg'), Buffer.alloc(3 * 1024 * 1024));
    const records = Buffer.from('first record\nsecond record\n');
    writeFileSync(path.join(spool, '000000000001.seg'), Buffer.concat([records, Buffer.alloc(2 * 1024 * 1024 + 5)]));
    expect(await measureSpoolFiles(dataDir)).toMatchObject({ pendingBytes: records.length });

    writeFileSync(path.join(spool, '000000000001.seg'), Buffer.alloc(4096));
    expect(await measureSpoolFiles(dataDir)).toMatchObject({ pendingBytes: 0 });
    expect(classifySpool(await measureSpoolFiles(dataDir)).status).toBe('OK');
  });

  it('a nearly full live spool is CRITICAL, a failing flusher WARNING', () => {
    expect(classifySpool({ serverRunning: true, pendingRecords: 10, pendingBytes: 10, usedRatio: 0.95 }).status).toBe('CRITICAL');
    expect(classifySpool({ serverRunning: true, pendingRecords: 10, pendingBytes: 10, usedRatio: 0.6 }).status).toBe('WARNING');
    expect(
      classifySpool({ serverRunning: true, pendingRecords: 1, pendingBytes: 10, usedRatio: 0, consecutiveFailures: 2, lastError: 'boom' }),
    ).toMatchObject({ status: 'WARNING', message: expect.stringContaining('boom') });
  });
});

describe('ClickHouse system log size thresholds', () => {
  it('OK under 1 GiB, WARNING from 1 GiB, CRITICAL from 5 GiB, naming the largest table', () => {
    expect(classifySystemLogs([{ table: 'query_log', bytes: 10 * 1024 ** 2 }]).status).toBe('OK');
    const warning = classifySystemLogs([
      { table: 'query_log', bytes: 1.5 * 1024 ** 3 },
      { table: 'trace_log', bytes: 1024 },
    ]);
    expect(warning).toMatchObject({ status: 'WARNING', next: expect.stringContaining('system.query_log') });
    expect(classifySystemLogs([{ table: 'part_log', bytes: 6 * 1024 ** 3 }]).status).toBe('CRITICAL');
  });
});
