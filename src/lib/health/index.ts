/**
 * `analytics health`: every check of DESIGN §8 as a named entry of one registry. Checks that need the
 * stores or the live ingest state run inside the server when one answers on the admin socket (it owns
 * the embedded stores, and only it can run the end-to-end probe); otherwise this process opens the
 * stores itself. Disk, backups and the server's HTTP endpoint are measured from here.
 */
import { existsSync } from 'node:fs';
import { callAdminSocket } from '../admin/client.js';
import { adminSocketPath } from '../admin/protocol.js';
import type { AppConfig } from '../config/schema.js';
import { DataDirLockedError } from '../storage/errors.js';
import type { OpenedStores } from '../storage/open.js';
import { backupCheck } from './backups.js';
import { clickhouseVolumes, diskCheck, type VolumeUsage } from './disk.js';
import { runChecks, selectChecks, type CheckDefinition } from './registry.js';
import { SERVER_HEALTH_OPERATION, SERVER_SIDE_CHECKS, type ServerHealthReport, type ServerSideCheckName } from './server-side.js';
import { serverHttpCheck } from './server-http.js';
import { classifySpool, measureSpoolFiles } from './spool.js';
import { STORE_CHECKS, type StoreCheckName } from './stores.js';
import { notOk, type CheckOutcome, type CheckReport } from './types.js';

export type { CheckReport, CheckResult, CheckStatus } from './types.js';

/** Long enough for the probe and a slow store; a hung server must not hang cron. */
const SOCKET_TIMEOUT_MS = 8_000;

interface HealthContext {
  config: AppConfig;
  /** The server's report of the selected server-side checks, or undefined when no server answers. */
  server(): Promise<ServerHealthReport | undefined>;
  /** The stores opened here (only when no server answers). */
  localStores(): Promise<OpenedStores>;
  /** The ClickHouse server's disks, from the server's report or the stores opened here. */
  clickhouseVolumes(): Promise<VolumeUsage[]>;
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= fn());
}

function storeCheck(name: StoreCheckName, title: string): CheckDefinition<HealthContext> {
  return {
    name,
    title,
    timeoutMs: 10_000,
    async run(ctx) {
      const remote = await ctx.server();
      if (remote) return remote.checks[name] ?? missing(name);
      let stores: OpenedStores;
      try {
        stores = await ctx.localStores();
      } catch (error) {
        if (error instanceof DataDirLockedError) {
          return notOk('UNKNOWN', 'DATA_DIR in use', error.message, 'run analytics health again when that command has finished');
        }
        throw error;
      }
      return STORE_CHECKS[name](stores);
    },
  };
}

const missing = (name: string): CheckOutcome =>
  notOk('UNKNOWN', 'not reported', `The server did not report the ${name} check (an older server version?)`, 'restart the server with this version: analytics start');

/** Where a server of this configuration listens, for when its admin socket does not answer. */
function configuredUrl(config: AppConfig): string | undefined {
  const { listenIp, port } = config;
  if (port === 0) return undefined;
  const host = listenIp === '0.0.0.0' || listenIp === '::' ? '127.0.0.1' : listenIp.includes(':') ? `[${listenIp}]` : listenIp;
  return `http://${host}:${port}`;
}

export const HEALTH_CHECKS: readonly CheckDefinition<HealthContext>[] = [
  {
    name: 'server',
    title: 'server /api/health',
    async run(ctx) {
      // A socket that fails to answer still leaves the configured port to try.
      const remote = await ctx.server().catch(() => undefined);
      return serverHttpCheck(remote?.url ?? configuredUrl(ctx.config), { pid: remote?.pid });
    },
  },
  storeCheck('postgres', 'PostgreSQL'),
  storeCheck('clickhouse', 'ClickHouse'),
  storeCheck('migrations', 'migrations'),
  {
    name: 'spool',
    title: 'ingest spool',
    async run(ctx) {
      const remote = await ctx.server();
      if (remote) return remote.checks.spool ?? missing('spool');
      return classifySpool(await measureSpoolFiles(ctx.config.dataDir));
    },
  },
  {
    name: 'disk',
    title: 'disk free',
    async run(ctx) {
      // A ClickHouse server keeps its data on its own disks; chDB's are DATA_DIR's volume.
      const clickhouse = ctx.config.clickhouseUrl ? await ctx.clickhouseVolumes().catch(() => []) : [];
      return diskCheck({ DATA_DIR: ctx.config.dataDir, BACKUP_DIR: ctx.config.backup.dir }, clickhouse);
    },
  },
  storeCheck('system-logs', 'ClickHouse system logs'),
  {
    name: 'backup',
    title: 'newest backup',
    run: (ctx) => backupCheck(ctx.config.backup.dir),
  },
  storeCheck('salt', 'salt rotation'),
  {
    name: 'mail',
    title: 'mail delivery',
    timeoutMs: 10_000,
    async run(ctx) {
      if (ctx.config.mailer.adapter !== 'smtp') return { status: 'OK', value: 'mail off (MAILER_ADAPTER=none)' };
      return storeCheck('mail', 'mail delivery').run(ctx);
    },
  },
  {
    name: 'probe',
    title: 'end-to-end probe',
    timeoutMs: 10_000,
    async run(ctx) {
      const remote = await ctx.server();
      if (remote) return remote.checks.probe ?? missing('probe');
      const url = configuredUrl(ctx.config);
      const live = url ? await fetch(`${url}/api/health/live`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false) : false;
      if (live) {
        // A server answers on PORT but not on this DATA_DIR's socket: another host, container or DATA_DIR.
        return notOk('UNKNOWN', 'not run here', `The server at ${url} answers, but not on ${adminSocketPath(ctx.config.dataDir)}; only the server can run the probe`, 'run analytics health where the server runs, with its DATA_DIR (docker compose exec analytics analytics health)');
      }
      return notOk('CRITICAL', 'no server', 'The probe needs the running server (its admin socket in DATA_DIR)', 'analytics start   (then run analytics health on the same host)');
    },
  },
];

export const HEALTH_CHECK_NAMES = HEALTH_CHECKS.map((c) => c.name);

export interface HealthOptions {
  /** `--check NAME`: only these (all when empty). */
  checks?: string[];
}

export async function runHealth(config: AppConfig, options: HealthOptions = {}): Promise<CheckReport> {
  const selected = selectChecks(HEALTH_CHECKS, options.checks);
  const serverSide = selected.map((c) => c.name).filter((n): n is ServerSideCheckName => (SERVER_SIDE_CHECKS as readonly string[]).includes(n));
  const socketPath = adminSocketPath(config.dataDir);
  const clickhouseDisks = Boolean(config.clickhouseUrl) && selected.some((c) => c.name === 'disk');
  let opened: Promise<OpenedStores> | undefined;
  const ctx: HealthContext = {
    config,
    server: memo(async () => {
      if (!existsSync(socketPath)) return undefined;
      const input = { checks: serverSide, ...(clickhouseDisks ? { clickhouseDisks } : {}) };
      const call = await callAdminSocket(socketPath, SERVER_HEALTH_OPERATION, input, { timeoutMs: SOCKET_TIMEOUT_MS });
      return call.answered ? (call.result as ServerHealthReport) : undefined;
    }),
    // Loaded only when needed: the store drivers (chDB, PGlite) take a while to load.
    localStores: () => (opened ??= import('./local-stores.js').then((m) => m.openStoresForHealth(config))),
    clickhouseVolumes: async () => {
      const remote = await ctx.server();
      if (remote) return remote.clickhouseVolumes ?? [];
      return clickhouseVolumes((await ctx.localStores()).clickhouse);
    },
  };
  try {
    return await runChecks(selected, ctx, { command: 'health' });
  } finally {
    if (opened) await opened.then((s) => s.close()).catch(() => undefined);
  }
}

