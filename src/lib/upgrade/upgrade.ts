import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { AnalyticsError, ExternalCommandError, UserError, tail } from '../cli/errors.js';
import type { AppConfig } from '../config/schema.js';
import type { DbMigrateResult } from '../db/migrations.js';
import { composePull, composeUp } from '../compose/operations.js';
import { composeProject, runCompose, type ComposeProject } from '../compose/project.js';
import { waitForHealth } from '../setup/health.js';
import { analyticsInStack } from '../setup/stack-cli.js';
import { SERVICE_UNIT, startDetached, systemctl, systemdIsInit } from '../setup/systemd.js';
import { binRunPath } from '../templates/paths.js';
import { runWithProgress } from '../ui/progress.js';

export interface UpgradeStep {
  name: 'backup' | 'images' | 'migrate' | 'restart' | 'health';
  status: 'done' | 'skipped';
  detail?: string;
}

export interface UpgradeResult {
  mode: 'docker' | 'embedded';
  backup?: { name: string; path: string };
  steps: UpgradeStep[];
  url: string;
}

interface UpgradeContext {
  steps: UpgradeStep[];
  backup?: { name: string; path: string };
}

export interface UpgradeOptions {
  mode: 'docker' | 'embedded';
  dir: string;
  project: string;
  envFile: string;
  config: AppConfig;
  /** `backup create` is part of this installation (it may not be, in an older one). */
  backupAvailable: boolean;
  skipBackup: boolean;
  pull: boolean;
  build: boolean;
  healthTimeoutMs: number;
  quiet: boolean;
}

interface BackupCreated {
  path: string;
}

function backupName(file: string): string {
  return path.basename(file).replace(/\.tar.*$/, '');
}

/** Compose v1 and v2 print the merged config; an empty or missing URL means that store is embedded in the volume. */
async function usesEmbeddedStore(project: ComposeProject): Promise<boolean> {
  const { stdout } = await runCompose(project, ['config']);
  const env = (parse(stdout) as { services: { analytics?: { environment?: Record<string, string | null> } } }).services.analytics?.environment ?? {};
  return !env.DATABASE_URL || !env.CLICKHOUSE_URL;
}

/**
 * backup → pull/build → migrate → restart → health, stopping at the first failure. Everything after the backup
 * can be undone by restoring it, and the error says how.
 */
export async function runUpgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  const project = options.mode === 'docker' ? composeProject(options.dir, options.project) : undefined;
  const url = `http://127.0.0.1:${options.config.port}`;
  const ctx: UpgradeContext = { steps: [] };
  const step = (name: UpgradeStep['name'], status: UpgradeStep['status'], detail?: string): string => {
    ctx.steps.push({ name, status, ...(detail ? { detail } : {}) });
    return detail ? `${status}: ${detail}` : status;
  };
  try {
    await runWithProgress<UpgradeContext>(
      [
        {
          title: 'Backup',
          task: async (_c, t) => {
            if (options.skipBackup) {
              t.output = step('backup', 'skipped', '--skip-backup: there will be no way back');
              return;
            }
            if (!options.backupAvailable) {
              throw new UserError('This installation has no `backup create`, so upgrade cannot take the backup that makes it reversible', {
                code: 'NO_BACKUP_COMMAND',
                actions: ['take a backup your own way, then: analytics upgrade --skip-backup'],
              });
            }
            const created = project
              ? await analyticsInStack<BackupCreated>(project, ['backup', 'create'])
              : await localCli<BackupCreated>(['backup', 'create', '--env-file', options.envFile], options.dir);
            ctx.backup = { name: backupName(created.path), path: created.path };
            t.output = step('backup', 'done', created.path);
          },
        },
        {
          title: 'Images (pull, build)',
          task: async (_c, t) => {
            if (!project) {
              t.output = step('images', 'skipped', 'embedded: the new version is the installed package (npm install -g analytics@NEW)');
              return;
            }
            if (!options.pull && !options.build) {
              t.output = step('images', 'skipped', '--no-pull --no-build');
              return;
            }
            const pulled = options.pull ? await composePull(project, { build: options.build }) : await composePull(project, { build: options.build, onlyBuild: true });
            t.output = step('images', 'done', `pulled: ${pulled.pulled.join(', ') || 'none'}; built: ${pulled.built.join(', ') || 'none'}`);
          },
        },
        {
          title: 'Migrate',
          task: async (_c, t) => {
            if (!project) {
              t.output = step('migrate', 'skipped', 'embedded: `analytics start` migrates its own stores on start');
              return;
            }
            // An embedded store in the volume belongs to the running server (DATA_DIR lock): stop it first.
            if (await usesEmbeddedStore(project)) await runCompose(project, ['stop', 'analytics'], { output: 'stderr' });
            const migrated = await analyticsInStack<DbMigrateResult>(project, ['db', 'migrate']);
            const applied = migrated.stores.reduce((n, s) => n + s.steps.length, 0);
            t.output = step('migrate', 'done', `${applied} migration(s) applied`);
          },
        },
        {
          title: 'Restart',
          task: async (_c, t) => {
            if (project) {
              // `up -d` recreates the containers whose image or configuration changed, and starts stopped ones.
              await composeUp(project, { timeoutMs: options.healthTimeoutMs });
              t.output = step('restart', 'done', 'compose up -d');
            } else if (systemdIsInit()) {
              await systemctl(['restart', SERVICE_UNIT]);
              t.output = step('restart', 'done', `systemctl restart ${SERVICE_UNIT}`);
            } else {
              const started = await restartDetached(options);
              t.output = step('restart', 'done', `detached, pid ${started.pid}`);
            }
          },
        },
        {
          title: 'Health',
          task: async (_c, t) => {
            await waitForHealth(url, { timeoutMs: options.healthTimeoutMs, onWait: (last) => { t.output = last; } });
            t.output = step('health', 'done');
          },
        },
      ],
      { quiet: options.quiet, context: ctx },
    );
  } catch (error) {
    throw upgradeFailed(error, ctx, options);
  }
  return { mode: options.mode, backup: ctx.backup, steps: ctx.steps, url: options.config.baseUrl };
}

function upgradeFailed(error: unknown, ctx: UpgradeContext, options: UpgradeOptions): AnalyticsError {
  const failedAt = ['backup', 'images', 'migrate', 'restart', 'health'][ctx.steps.length] ?? 'upgrade';
  const original = error instanceof AnalyticsError ? error : undefined;
  const message = (error as Error).message;
  const wayBack = ctx.backup
    ? options.mode === 'docker'
      ? [
          `go back: cd ${path.resolve(options.dir)} && docker compose -p ${options.project} run --rm analytics restore ${ctx.backup.name} --force` +
            ' (docker-compose with Compose v1), then analytics compose up',
        ]
      : [`go back: analytics restore ${ctx.backup.name} --force --env-file ${options.envFile}`]
    : [];
  return new UserError(`Upgrade stopped at "${failedAt}": ${message}`, {
    code: 'UPGRADE_FAILED',
    actions: [...wayBack, ...(original?.actions ?? [])],
    details: { failedAt, steps: ctx.steps, ...(ctx.backup ? { backup: ctx.backup } : {}), cause: original?.toJSON() },
  });
}

async function localCli<T>(args: string[], cwd: string): Promise<T> {
  const result = await execa(process.execPath, [binRunPath(), ...args, '--json'], { cwd, reject: false });
  if (result.exitCode !== 0) {
    throw new ExternalCommandError(`analytics ${args.join(' ')}`, result.exitCode, tail(String(result.stdout) + String(result.stderr)));
  }
  return JSON.parse(String(result.stdout)) as T;
}

/** Stops the detached server setup started (its pid file) and starts the installed version the same way. */
async function restartDetached(options: UpgradeOptions): Promise<{ pid: number }> {
  const dataDir = path.resolve(options.dir, options.config.dataDir);
  const pidFile = path.join(dataDir, 'analytics.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0 && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) throw new UserError(`The server (pid ${pid}) did not stop within 60 s`, { actions: [`kill ${pid}`] });
    }
  }
  return startDetached({ cwd: path.resolve(options.dir), envFile: options.envFile, dataDir });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
