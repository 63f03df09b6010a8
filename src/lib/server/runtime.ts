import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { adminSocketPath, startAdminSocket } from '../admin/index.js';
import type { AppConfig } from '../config/schema.js';
import { storeOptions } from '../db/connect.js';
import { migrateStores, requireMigrated } from '../db/migrations.js';
import { loadDashboardAssets } from '../dashboard/assets.js';
import { LoginRateLimiter } from '../dashboard/rate-limit.js';
import { TrustedProxies } from '../ingest/client-ip.js';
import { IngestCounters } from '../ingest/drop-reasons.js';
import { loadCountryLookup } from '../ingest/geo.js';
import { createIngestPipeline } from '../ingest/pipeline.js';
import { SessionStore } from '../ingest/session.js';
import { UserAgentParser } from '../ingest/user-agent.js';
import { Flusher, Spool, createClickHouseSink } from '../spool/index.js';
import { acquireDataDirLock, type DataDirLock } from '../storage/data-dir-lock.js';
import { openStores, type OpenedStores } from '../storage/open.js';
import { buildTracker } from '../tracker/build.js';
import { APP_VERSION } from '../version.js';
import { createApp } from './app.js';
import type { Logger } from './log.js';
import { DatabaseSaltProvider } from './salts.js';
import { CachedSiteResolver } from './site-resolver.js';

export interface RunningServer {
  url: string;
  port: number;
  stores: OpenedStores;
  /** Stop accepting, finish requests in flight, flush the spool to ClickHouse, close the stores. */
  close(): Promise<void>;
}

const SALT_CHECK_MS = 5 * 60_000;
const SESSION_EVICT_MS = 60_000;
/** How long in-flight requests get at shutdown before their connections are cut. */
const DRAIN_MS = 5_000;

/**
 * The whole server: stores (embedded ones created and migrated on first start), ingestion pipeline,
 * durable spool and its flusher, HTTP listener. The process owns DATA_DIR while it runs.
 */
export async function startServer(config: AppConfig, log: Logger): Promise<RunningServer> {
  const stores = await openStores(storeOptions(config));
  // In server mode openStores takes no lock, but the spool in DATA_DIR still needs a single owner.
  const lock: DataDirLock | undefined = stores.mode === 'servers' ? await acquireDataDirLock(config.dataDir) : undefined;
  const cleanups: (() => Promise<void> | void)[] = [() => stores.close(), () => lock?.release()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  };
  try {
    if (stores.mode === 'servers') {
      await requireMigrated(stores);
    } else {
      const migrated = await migrateStores(stores, { store: 'all' });
      if (migrated.applied > 0) log.info('migrated the embedded stores', { applied: migrated.applied });
    }
    const salts = new DatabaseSaltProvider(stores.postgres);
    await salts.load();
    const counters = new IngestCounters();
    const countries = loadCountryLookup(config.ipGeolocationDb);
    const sessions = new SessionStore();
    const siteResolver = new CachedSiteResolver(stores.postgres);
    const pipeline = createIngestPipeline({
      sites: siteResolver,
      salts,
      trustedProxies: TrustedProxies.parse(config.trustedProxies),
      countries,
      userAgents: new UserAgentParser(),
      sessions,
      counters,
    });

    const spool = await Spool.open({ dir: path.join(config.dataDir, 'spool') });
    cleanups.push(() => spool.close());
    const flusher = new Flusher({
      spool,
      sink: createClickHouseSink(stores.clickhouse),
      intervalMs: config.clickhouseFlushIntervalMs,
      maxRows: config.clickhouseMaxBufferSize,
      onError: (error, context) =>
        log.warn('flush to ClickHouse failed; events stay in the spool', {
          error: error instanceof Error ? error.message : String(error),
          segment: context.segment,
          failures: context.consecutiveFailures,
        }),
    }).start();
    cleanups.push(() => flusher.stop());

    const startedAt = new Date();
    const tracker = await buildTracker();
    const app = createApp({
      stores,
      pipeline,
      spool,
      flusher,
      counters,
      tracker,
      log,
      dashboard: {
        assets: loadDashboardAssets(),
        limiter: new LoginRateLimiter(stores.postgres),
        trustedProxies: TrustedProxies.parse(config.trustedProxies),
        baseUrl: config.baseUrl,
      },
      system: () => ({
        version: APP_VERSION,
        storageMode: stores.mode,
        stores: stores.description,
        geoip: {
          database: config.ipGeolocationDb ? 'custom' : 'bundled',
          path: countries.source.path,
          type: countries.source.databaseType,
          builtAt: countries.source.builtAt.toISOString(),
        },
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
        saltAgeSeconds: salts.ageSeconds(),
      }),
    });

    // CLI commands reach the stores this process owns through a 0600 Unix socket instead of the files.
    const adminSocket = await startAdminSocket(adminSocketPath(config.dataDir), stores, {
      // Events still in the spool for a site being removed would land after its deletion.
      beforeOperation: async (name) => {
        if (name === 'sites.remove') await flusher.flush({ timeoutMs: 30_000 });
      },
      // Backups and restores read or replace ClickHouse at a watermark: the spool is flushed, then held.
      context: { holdIngest: (fn) => flusher.hold(fn) },
      afterOperation: (done) => {
        siteResolver.invalidate();
        if (done.name === 'restore') void salts.load().catch(() => undefined);
      },
      onError: (error, operation) => log.error('admin operation failed', { operation, error: error instanceof Error ? error.stack : String(error) }),
    });
    cleanups.push(() => adminSocket.close());

    const server = createServer({ keepAliveTimeout: 65_000 }, app);
    await listen(server, config.port, config.listenIp);
    const port = (server.address() as AddressInfo).port;

    const timers = [
      setInterval(() => {
        salts.rotateIfDue().then(
          (rotated) => rotated && log.info('rotated the daily salt'),
          (error: unknown) => log.error('salt rotation failed', { error: String(error) }),
        );
      }, SALT_CHECK_MS),
      setInterval(() => sessions.evictIdle(Math.floor(Date.now() / 1000)), SESSION_EVICT_MS),
    ];
    for (const timer of timers) timer.unref();

    const host = config.listenIp === '0.0.0.0' || config.listenIp === '::' ? '127.0.0.1' : config.listenIp;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    log.info('server listening', { url, storage: stores.mode, version: APP_VERSION, geoip: config.ipGeolocationDb ? 'custom' : 'bundled' });

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      stores,
      close() {
        closing ??= (async () => {
          for (const timer of timers) clearInterval(timer);
          await stopAccepting(server);
          const flushed = await flusher.flush({ timeoutMs: 30_000 });
          if (flushed.pendingRecords > 0) {
            log.warn('events left in the spool; they are sent on the next start', { pendingRecords: flushed.pendingRecords });
          }
          await cleanup();
          log.info('server stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function stopAccepting(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  await closed;
  clearTimeout(timer);
}
