import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/load.js';
import { createLogger } from '../../src/lib/server/log.js';
import { startServer } from '../../src/lib/server/runtime.js';
import { tempDir } from '../helpers/cli.js';
import { prepareDataDir } from '../helpers/fixtures.js';

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';

interface Health {
  status: string;
  ingest: { status: string; error?: string; spool: { pendingRecords: number }; flusher: { consecutiveFailures: number } };
}

describe('ClickHouse refusing writes for a while', () => {
  it('keeps every event in the spool, warns in health, and stores each once when writes come back', async () => {
    const dataDir = path.join(tempDir(), 'data');
    await prepareDataDir(dataDir, ['outage.example']);
    const loaded = loadConfig({ env: { DATA_DIR: dataDir, PORT: '0', CLICKHOUSE_FLUSH_INTERVAL_MS: '100', LISTEN_IP: '127.0.0.1' }, cwd: dataDir });
    const logs: string[] = [];
    const server = await startServer(loaded.config!, createLogger('info', { json: true, write: (l) => logs.push(l) }));
    const health = async () => (await (await fetch(`${server.url}/api/health`)).json()) as Health;
    try {
      // The server's own ClickHouse (chDB runs in this process): take the table away from the flusher.
      await server.stores.clickhouse.command('RENAME TABLE events TO events_paused');
      const send = (i: number) =>
        fetch(`${server.url}/api/event`, {
          method: 'POST',
          headers: { 'user-agent': UA, 'x-forwarded-for': '198.51.100.7' },
          body: JSON.stringify({ n: 'pageview', u: `https://outage.example/${i}`, d: 'outage.example' }),
        }).then((r) => r.status);
      const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => send(i)));
      expect(new Set(statuses)).toEqual(new Set([202]));

      let during = await health();
      for (let i = 0; i < 50 && during.ingest.flusher.consecutiveFailures === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        during = await health();
      }
      expect(during.ingest.status).toBe('warning');
      expect(during.ingest.error).toMatch(/flushing to ClickHouse fails/);
      expect(during.ingest.spool.pendingRecords).toBeGreaterThan(0);

      await server.stores.clickhouse.command('RENAME TABLE events_paused TO events');
      let after = await health();
      for (let i = 0; i < 100 && (after.ingest.spool.pendingRecords > 0 || after.ingest.flusher.consecutiveFailures > 0); i++) {
        await new Promise((r) => setTimeout(r, 200));
        after = await health();
      }
      expect(after.ingest).toMatchObject({ status: 'ok', spool: { pendingRecords: 0 } });
      const [counts] = await server.stores.clickhouse.query<{ n: string; paths: string }>(
        'SELECT count() AS n, uniqExact(pathname) AS paths FROM events',
      );
      expect(Number(counts?.n)).toBe(300);
      expect(Number(counts?.paths)).toBe(300);
      expect(logs.some((l) => l.includes('flush to ClickHouse failed'))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
