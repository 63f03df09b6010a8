import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupCreateResult } from '../../../src/lib/backup/create.js';
import type { RestoreResult } from '../../../src/lib/backup/restore.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../../helpers/server.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Pathnames /p/<n> of the stored pageviews, as numbers, with their multiplicity. */
async function storedIndexes(dataDir: string): Promise<number[]> {
  return withDataDir(dataDir, async (stores) => {
    const rows = await stores.clickhouse.query<{ pathname: string }>(`SELECT pathname FROM events WHERE startsWith(pathname, '/p/')`);
    return rows.map((r) => Number(r.pathname.slice(3))).sort((a, b) => a - b);
  });
}

describe('backup create while events are ingested (through the running server)', () => {
  const root = tempDir('analytics-backup-ingest-');
  const dataDir = path.join(root, 'data');
  const env = { DATA_DIR: dataDir, BACKUP_DIR: path.join(root, 'backups') };
  let server: ServerProcess;

  beforeAll(async () => {
    await prepareDataDir(dataDir, ['shop.example']);
    server = await spawnServer({ ...env, CLICKHOUSE_FLUSH_INTERVAL_MS: '100' });
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('restores every event acknowledged before the backup, none twice, and a contiguous prefix up to the watermark', async () => {
    let sent = 0;
    let acknowledgedBeforeBackup = -1;
    let stop = false;
    // One request at a time: the spool then holds events in the order they were acknowledged.
    const loop = (async () => {
      const deadline = Date.now() + 90_000;
      while (!stop && Date.now() < deadline && sent < 20_000) {
        const n = sent;
        const res = await fetch(`${server.url}/api/event`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'user-agent': CHROME, 'x-forwarded-for': `10.0.${n % 250}.${n % 200}` },
          body: JSON.stringify({ n: 'pageview', u: `https://shop.example/p/${n}`, d: 'shop.example' }),
        });
        expect(res.status).toBe(202);
        sent += 1;
      }
    })();
    while (sent < 300) await new Promise((resolve) => setTimeout(resolve, 20));
    acknowledgedBeforeBackup = sent;
    const run = await runCli(['backup', 'create', '--json'], { env });
    const sentDuringBackup = sent - acknowledgedBeforeBackup;
    // Keep ingesting a little after the backup, then stop.
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await loop;
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const backup = run.json<BackupCreateResult>();
    expect(backup).toMatchObject({ viaServer: true, mode: 'embedded' });
    expect(backup.watermark.spoolFlushed).toBe(true);
    expect(sentDuringBackup).toBeGreaterThan(0);

    // The live server delivers everything, including what arrived while ClickHouse was held.
    await server.stop('SIGTERM');
    const live = await storedIndexes(dataDir);
    expect(live).toEqual(Array.from({ length: sent }, (_, i) => i));

    const restoredDir = path.join(root, 'restored');
    const restore = await runCli(['restore', backup.path, '--json'], { env: { ...env, DATA_DIR: restoredDir } });
    expect(restore.exitCode, restore.stdout + restore.stderr).toBe(0);
    expect(restore.json<RestoreResult>().viaServer).toBe(false);
    const restored = await storedIndexes(restoredDir);
    expect(new Set(restored).size).toBe(restored.length);
    expect(restored.length).toBeGreaterThanOrEqual(acknowledgedBeforeBackup);
    expect(restored).toEqual(Array.from({ length: restored.length }, (_, i) => i));
    expect(restored.length).toBe(backup.tables.find((t) => t.name === 'events')?.rows);
    archive = backup.path;
    backupEvents = restored.length;
  }, 240_000);

  let archive: string;
  let backupEvents: number;

  it('restore goes through the running server too, and the server keeps ingesting into the restored data', async () => {
    server = await spawnServer({ ...env, CLICKHOUSE_FLUSH_INTERVAL_MS: '100' });
    const refused = await runCli(['restore', archive, '--json'], { env });
    expect(refused.exitCode).toBe(1);
    const run = await runCli(['restore', archive, '--force', '--json'], { env });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.json<RestoreResult>()).toMatchObject({ viaServer: true, toMode: 'embedded' });
    const res = await fetch(`${server.url}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': CHROME },
      body: JSON.stringify({ n: 'pageview', u: 'https://shop.example/p/100000', d: 'shop.example' }),
    });
    expect(res.status).toBe(202);
    await server.stop('SIGTERM');
    const after = await storedIndexes(dataDir);
    expect(after).toEqual([...Array.from({ length: backupEvents }, (_, i) => i), 100000]);
  }, 120_000);
});
