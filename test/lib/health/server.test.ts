import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/lib/config/load.js';
import type { AppConfig } from '../../../src/lib/config/schema.js';
import { HEALTH_CHECK_NAMES, runHealth } from '../../../src/lib/health/index.js';
import { PROBE_DOMAIN_SUFFIX } from '../../../src/lib/health/probe.js';
import { createLogger } from '../../../src/lib/server/log.js';
import { startServer, type RunningServer } from '../../../src/lib/server/runtime.js';
import { listSites } from '../../../src/lib/sites/sites.js';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs.js';

/** The server in this process (chDB is in-process), so the test can break its ClickHouse and salts for real. */
describe('health against a running embedded server', () => {
  let server: RunningServer;
  let config: AppConfig;

  let volume: Tmpfs;

  beforeAll(async () => {
    // Its own volume, so the disk check does not depend on how full the shared machine is.
    volume = await mountTmpfs(1024);
    const dir = volume.dir;
    const backups = path.join(dir, 'backups');
    mkdirSync(backups);
    writeFileSync(path.join(backups, 'analytics-health-test.tar.zst'), 'archive');
    const loaded = loadConfig({
      env: { DATA_DIR: path.join(dir, 'data'), BACKUP_DIR: backups, PORT: '0', LISTEN_IP: '127.0.0.1', CLICKHOUSE_FLUSH_INTERVAL_MS: '100' },
      cwd: dir,
    });
    config = loaded.config!;
    server = await startServer(config, createLogger('error', { json: true, write: () => undefined }));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await volume?.unmount();
  });

  const status = async (names: string[]) => {
    const report = await runHealth(config, { checks: names });
    return Object.fromEntries(report.checks.map((c) => [c.name, c]));
  };

  it('reports every check OK, the probe included, and the probe leaves nothing behind', async () => {
    const report = await runHealth(config);
    expect(report.checks.map((c) => c.name)).toEqual(HEALTH_CHECK_NAMES);
    for (const check of report.checks) expect(check.status, `${check.name}: ${check.message}`).toBe('OK');
    expect(report).toMatchObject({ status: 'OK', exitCode: 0 });
    expect(report.durationMs).toBeLessThan(2_000);
    const probe = report.checks.find((c) => c.name === 'probe');
    expect(probe?.details).toMatchObject({ ok: true, readBack: 1 });
    expect(Object.keys(probe?.details?.steps as object)).toEqual(['create-site', 'send-event', 'flush', 'read-back', 'delete']);

    const sites = await listSites(server.stores.postgres);
    expect(sites.filter((s) => s.domain.endsWith(PROBE_DOMAIN_SUFFIX))).toEqual([]);
    const [events] = await server.stores.clickhouse.query<{ n: string }>('SELECT count() AS n FROM events');
    const [sessions] = await server.stores.clickhouse.query<{ n: string }>('SELECT count() AS n FROM sessions');
    expect([Number(events?.n), Number(sessions?.n)]).toEqual([0, 0]);
  });

  it('salt rotation: OK when fresh, WARNING after a missed rotation, CRITICAL after two days', async () => {
    const db = server.stores.postgres;
    const [{ newest } = { newest: '' }] = await db.query<{ newest: string }>('SELECT max(created_at) AS newest FROM salts');
    try {
      await db.query("UPDATE salts SET created_at = created_at - interval '30 hours'");
      expect((await status(['salt'])).salt).toMatchObject({ status: 'WARNING', value: expect.stringMatching(/rotated 30\.0 h ago/) });
      await db.query("UPDATE salts SET created_at = created_at - interval '3 days'");
      expect((await status(['salt'])).salt).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining('salt rotation failed') });
    } finally {
      await db.query("UPDATE salts SET created_at = created_at + interval '30 hours' + interval '3 days'");
    }
    const [{ restored } = { restored: '' }] = await db.query<{ restored: string }>('SELECT max(created_at) AS restored FROM salts');
    expect(new Date(restored).getTime()).toBe(new Date(newest).getTime());
    expect((await status(['salt'])).salt?.status).toBe('OK');
  });

  it('ClickHouse refusing writes: the probe is CRITICAL at the flush, the spool WARNING; both recover', async () => {
    await server.stores.clickhouse.command('RENAME TABLE events TO events_paused');
    let during;
    try {
      // The probe first: its forced flush is what meets the missing table.
      const probe = await status(['probe']);
      during = { ...probe, ...(await status(['spool', 'server'])) };
    } finally {
      await server.stores.clickhouse.command('RENAME TABLE events_paused TO events');
    }
    expect(during.probe).toMatchObject({ status: 'CRITICAL', details: { failedStep: 'flush' } });
    expect(during.spool).toMatchObject({ status: 'WARNING', message: expect.stringContaining('Flushing to ClickHouse fails') });
    expect(during.server?.status).toBe('WARNING');

    let after = await status(['probe', 'spool']);
    for (let i = 0; i < 50 && (after.spool?.status !== 'OK' || after.probe?.status !== 'OK'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await status(['probe', 'spool']);
    }
    expect([after.probe?.status, after.spool?.status]).toEqual(['OK', 'OK']);
  });
});
