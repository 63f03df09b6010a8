import { existsSync } from 'node:fs';
import path from 'node:path';
import { adminSocketPath } from '../admin/protocol.js';
import type { AppConfig } from '../config/schema.js';
import { runAdminOperation } from '../admin/dispatch.js';
import { createDatabases } from '../db/createdb.js';
import { withStores } from '../db/connect.js';
import { migrateStores } from '../db/migrations.js';
import type { AnswerFlag } from '../env/generate.js';
import type { Prompter } from '../env/prompter.js';
import { trackerSnippet } from '../sites/sites.js';
import { planTarget } from '../templates/bundles.js';
import { templateInputs } from '../templates/render.js';
import { writeFiles, type WriteOptions } from '../templates/write.js';
import { runWithProgress } from '../ui/progress.js';
import { doctorStep } from './doctor-step.js';
import { envStep } from './env-step.js';
import { waitForHealth } from './health.js';
import { BACKUP_TIMER, SERVICE_UNIT, startDetached, systemctl, systemdIsInit, verifyUnits } from './systemd.js';
import { record, type SetupContext, type SetupResult } from './types.js';

export interface EmbeddedSetupOptions {
  dir: string;
  envFile: string;
  answers: Partial<Record<AnswerFlag, string>>;
  yes: boolean;
  prompter?: Prompter;
  write: WriteOptions;
  unitDir: string;
  user?: string;
  site?: string;
  doctor: { available: boolean; skip: boolean };
  healthTimeoutMs: number;
  quiet: boolean;
  /** Reads the configuration after the env step wrote it. */
  loadConfig: () => AppConfig;
}

/** Our server, not merely something on the port: its admin socket is in our DATA_DIR and it answers. */
async function serverIsUp(config: AppConfig): Promise<boolean> {
  if (!existsSync(adminSocketPath(config.dataDir))) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${config.port}/api/health/live`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** `setup --embedded`: no Docker. PGlite + chDB in DATA_DIR, a systemd unit running `analytics start`, a backup timer. */
export async function runEmbeddedSetup(options: EmbeddedSetupOptions): Promise<SetupResult> {
  const dir = path.resolve(options.dir);
  const envFile = path.resolve(dir, options.envFile);
  let config!: AppConfig;
  let running = false;
  const ctx = await runWithProgress<SetupContext>(
    [
      { title: 'Preflight (doctor)', task: async (c, t) => { t.output = await doctorStep(c, { ...options.doctor, envFile, mode: 'embedded' }); } },
      {
        title: 'Configuration (.env)',
        task: async (c, t) => {
          t.output = await envStep(c, { envFile, answers: options.answers, storage: 'embedded', yes: options.yes, prompter: options.prompter, dryRun: options.write.dryRun });
          config = options.loadConfig();
          running = await serverIsUp(config);
        },
      },
      {
        title: 'Databases (create and migrate)',
        skip: () => options.write.dryRun,
        task: async (c, t) => {
          // A running server owns DATA_DIR and migrates on start; touching the stores here would wait on its lock.
          if (running) {
            t.output = record(c, 'databases', 'skipped', 'the server is running');
            return;
          }
          const created = await createDatabases(config, 'all');
          const migrated = await withStores(config, (stores) => migrateStores(stores, { store: 'all', dryRun: false, lockTimeoutMs: 60_000 }));
          const applied = migrated.stores.reduce((n, s) => n + s.steps.length, 0);
          const fresh = created.databases.some((d) => d.status === 'created');
          t.output = record(c, 'databases', fresh || applied ? 'done' : 'existing', `${applied} migration(s) applied`);
        },
      },
      { title: 'Admin account', skip: () => options.write.dryRun, task: async (c, t) => { t.output = await adminStep(c, config); } },
      {
        title: 'systemd units (analytics.service, backup timer)',
        task: async (c, t) => {
          const inputs = templateInputs({
            targets: ['systemd', 'cron'],
            outputDir: dir,
            project: 'analytics',
            baseUrl: config.baseUrl,
            port: config.port,
            clickhouse: 'embedded',
            envFile,
            dataDir: config.dataDir,
            backupDir: config.backup.dir,
            user: options.user,
          });
          const planned = [...planTarget('systemd', inputs, dir), ...planTarget('cron', inputs, dir)];
          const units = planned.filter((f) => f.path.includes(`${path.sep}systemd${path.sep}`));
          const written = await writeFiles(planned, options.write);
          const installed = await writeFiles(units.map((u) => ({ ...u, path: path.join(options.unitDir, path.basename(u.path)) })), options.write);
          c.files.push(...written, ...installed);
          const verification = options.write.dryRun ? undefined : await verifyUnits(installed.map((f) => f.path));
          const changed = [...written, ...installed].some((f) => f.action !== 'unchanged');
          t.output = record(c, 'units', changed ? 'done' : 'existing', verification ? `verified by ${verification.tool}` : 'dry run');
        },
      },
      {
        title: 'Start the server',
        skip: () => options.write.dryRun,
        task: async (c, t) => {
          if (running) {
            c.result.service = { manager: 'already-running', unit: SERVICE_UNIT };
            t.output = record(c, 'start', 'existing', 'already running');
          } else if (systemdIsInit()) {
            await systemctl(['daemon-reload']);
            await systemctl(['enable', '--now', SERVICE_UNIT, BACKUP_TIMER]);
            c.result.service = { manager: 'systemd', unit: SERVICE_UNIT };
            t.output = record(c, 'start', 'done', `systemctl enable --now ${SERVICE_UNIT} ${BACKUP_TIMER}`);
          } else {
            const started = startDetached({ cwd: dir, envFile, dataDir: path.resolve(dir, config.dataDir) });
            c.result.service = {
              manager: 'detached',
              unit: SERVICE_UNIT,
              pid: started.pid,
              log: started.log,
              note: `systemd is not the init system here, so the unit is installed but not started; the server runs detached (pid ${started.pid}, pid file ${started.pidFile}). On a host booted with systemd: systemctl enable --now ${SERVICE_UNIT} ${BACKUP_TIMER}`,
            };
            t.output = record(c, 'start', 'done', `detached, pid ${started.pid}`);
          }
        },
      },
      {
        title: 'Wait for /api/health',
        skip: () => options.write.dryRun,
        task: async (c, t) => {
          await waitForHealth(`http://127.0.0.1:${config.port}`, { timeoutMs: options.healthTimeoutMs, onWait: (last) => { t.output = last; } });
          t.output = record(c, 'health', 'done');
        },
      },
      { title: 'Site', enabled: () => Boolean(options.site), skip: () => options.write.dryRun, task: async (c, t) => { t.output = await siteStep(c, config, options.site as string); } },
    ],
    { quiet: options.quiet, context: { steps: [], files: [], result: {} } },
  );
  return { mode: 'embedded', url: config.baseUrl, envFile, files: ctx.files, steps: ctx.steps, ...ctx.result };
}

export async function adminStep(ctx: SetupContext, config: AppConfig): Promise<string> {
  const email = config.admin.email;
  if (!email) return record(ctx, 'admin', 'skipped', 'no --admin-email / ADMIN_USER_EMAIL');
  const { users } = await runAdminOperation(config, 'users.list', {});
  if (users.some((u) => u.email === email)) {
    ctx.result.admin = { email, status: 'existing' };
    return record(ctx, 'admin', 'existing', email);
  }
  const created = await runAdminOperation(config, 'users.add', {
    email,
    name: config.admin.name ?? 'Admin',
    password: config.admin.password,
    isAdmin: true,
  });
  ctx.result.admin = { email, status: 'created', ...(created.generatedPassword ? { generatedPassword: created.generatedPassword } : {}) };
  return record(ctx, 'admin', 'done', email);
}

export async function siteStep(ctx: SetupContext, config: AppConfig, domain: string): Promise<string> {
  const { sites } = await runAdminOperation(config, 'sites.list', {});
  const existing = sites.find((s) => s.domain === domain);
  const site = existing ?? (await runAdminOperation(config, 'sites.add', { domain })).site;
  ctx.result.site = { domain: site.domain, status: existing ? 'existing' : 'created', snippet: trackerSnippet(config.baseUrl, site.domain) };
  return record(ctx, 'site', existing ? 'existing' : 'done', site.domain);
}
