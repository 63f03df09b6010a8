import path from 'node:path';
import type { InitAdminResult } from '../db/admin.js';
import type { DbCreateResult } from '../db/createdb.js';
import type { DbMigrateResult } from '../db/migrations.js';
import type { AppConfig } from '../config/schema.js';
import type { User } from '../accounts/users.js';
import type { Site } from '../sites/sites.js';
import { trackerSnippet } from '../sites/sites.js';
import { composeServices, composeUp } from '../compose/operations.js';
import { composeProject, runCompose, type ComposeProject } from '../compose/project.js';
import { projectState, isReady } from '../compose/state.js';
import type { AnswerFlag } from '../env/generate.js';
import type { Prompter } from '../env/prompter.js';
import { renderTemplates, type RenderRequest } from '../templates/render.js';
import type { WriteOptions } from '../templates/write.js';
import { runWithProgress } from '../ui/progress.js';
import { doctorStep } from './doctor-step.js';
import { envStep } from './env-step.js';
import { waitForHealth } from './health.js';
import { analyticsInStack } from './stack-cli.js';
import { record, type SetupContext, type SetupResult } from './types.js';

export interface DockerSetupOptions {
  dir: string;
  envFile: string;
  project: string;
  answers: Partial<Record<AnswerFlag, string>>;
  yes: boolean;
  prompter?: Prompter;
  write: WriteOptions;
  clickhouse: 'server' | 'embedded';
  network: 'bridge' | 'host';
  images: RenderRequest['images'];
  tls: 'caddy' | 'none';
  pull: boolean;
  build: boolean;
  site?: string;
  doctor: { available: boolean; skip: boolean };
  healthTimeoutMs: number;
  quiet: boolean;
  loadConfig: () => AppConfig;
}

/** `setup`: the Docker Compose stack on a fresh VPS, one listr2 task list; every step safe to run again. */
export async function runDockerSetup(options: DockerSetupOptions): Promise<SetupResult> {
  const dir = path.resolve(options.dir);
  const envFile = path.resolve(dir, options.envFile);
  const profiles = options.tls === 'caddy' ? ['caddy'] : [];
  let config!: AppConfig;
  let project!: ComposeProject;
  let serverRunning = false;
  const skipIfDry = () => options.write.dryRun;
  const ctx = await runWithProgress<SetupContext>(
    [
      { title: 'Preflight (doctor)', task: async (c, t) => { t.output = await doctorStep(c, { ...options.doctor, envFile, mode: 'docker' }); } },
      {
        title: 'Configuration (.env)',
        task: async (c, t) => {
          t.output = await envStep(c, { envFile, answers: options.answers, storage: 'servers', yes: options.yes, prompter: options.prompter, dryRun: options.write.dryRun });
          config = options.loadConfig();
        },
      },
      {
        title: 'Deployment files',
        task: async (c, t) => {
          const rendered = await renderTemplates(
            {
              targets: options.tls === 'caddy' ? ['compose'] : ['compose', 'proxy'],
              outputDir: dir,
              project: options.project,
              baseUrl: config.baseUrl,
              port: config.port,
              clickhouse: options.clickhouse,
              network: options.network,
              images: options.images,
              envFile,
              dataDir: config.dataDir,
              backupDir: config.backup.dir,
            },
            options.write,
          );
          c.files.push(...rendered.files);
          const changed = rendered.files.filter((f) => f.action !== 'unchanged');
          t.output = record(c, 'files', changed.length ? 'done' : 'existing', `${changed.length} written or pending, ${rendered.files.length - changed.length} unchanged`);
          if (!options.write.dryRun) {
            project = composeProject(dir, options.project);
            serverRunning = (await projectState(options.project)).some((s) => s.service === 'analytics' && isReady(s));
          }
        },
      },
      {
        title: 'Images (pull registry images, build analytics)',
        skip: skipIfDry,
        task: async (c, t) => {
          const { built, pulled } = await composeServices(project, profiles);
          if (options.pull && pulled.length) await runCompose(project, [...profiles.flatMap((p) => ['--profile', p]), 'pull', ...pulled], { output: 'stderr' });
          if (options.build && built.length) await runCompose(project, ['build', ...built], { output: 'stderr' });
          t.output = record(c, 'images', options.pull || options.build ? 'done' : 'skipped', `pulled: ${options.pull ? pulled.join(', ') || 'none' : 'no (--no-pull)'}; built: ${options.build ? built.join(', ') || 'none' : 'no (--no-build)'}`);
        },
      },
      {
        title: 'Databases up',
        skip: skipIfDry,
        task: async (c, t) => {
          const services = options.clickhouse === 'server' ? ['postgres', 'clickhouse'] : ['postgres'];
          await composeUp(project, { services, timeoutMs: options.healthTimeoutMs });
          t.output = record(c, 'databases up', 'done', services.join(', '));
        },
      },
      {
        title: 'Create and migrate the databases',
        skip: skipIfDry,
        task: async (c, t) => {
          // A running server already migrated (it refuses to start otherwise) and may own an embedded store.
          if (serverRunning) {
            t.output = record(c, 'migrate', 'skipped', 'the server is running; `analytics upgrade` migrates');
            return;
          }
          const created = await analyticsInStack<DbCreateResult>(project, ['db', 'createdb']);
          const migrated = await analyticsInStack<DbMigrateResult>(project, ['db', 'migrate']);
          const applied = migrated.stores.reduce((n, s) => n + s.steps.length, 0);
          const fresh = created.databases.some((d) => d.status === 'created');
          t.output = record(c, 'migrate', fresh || applied ? 'done' : 'existing', `${applied} migration(s) applied`);
        },
      },
      {
        title: 'Admin account',
        skip: skipIfDry,
        task: async (c, t) => {
          const email = config.admin.email;
          if (!email) {
            t.output = record(c, 'admin', 'skipped', 'no --admin-email / ADMIN_USER_EMAIL');
            return;
          }
          const { users } = await analyticsInStack<{ users: User[] }>(project, ['users', 'list']);
          if (users.some((u) => u.email === email)) {
            c.result.admin = { email, status: 'existing' };
            t.output = record(c, 'admin', 'existing', email);
            return;
          }
          const created = await analyticsInStack<InitAdminResult>(project, ['db', 'init-admin']);
          c.result.admin = { email, status: 'created', ...(created.generatedPassword ? { generatedPassword: created.generatedPassword } : {}) };
          t.output = record(c, 'admin', 'done', email);
        },
      },
      {
        title: 'Start the stack',
        skip: skipIfDry,
        task: async (c, t) => {
          const up = await composeUp(project, { profiles, timeoutMs: options.healthTimeoutMs });
          t.output = record(c, 'compose up', 'done', up.services.map((s) => `${s.service} ${s.health === 'none' ? s.state : s.health}`).join(', '));
        },
      },
      {
        title: 'Wait for /api/health',
        skip: skipIfDry,
        task: async (c, t) => {
          await waitForHealth(`http://127.0.0.1:${config.port}`, { timeoutMs: options.healthTimeoutMs, onWait: (last) => { t.output = last; } });
          t.output = record(c, 'health', 'done');
        },
      },
      {
        title: 'Site',
        enabled: () => Boolean(options.site),
        skip: skipIfDry,
        task: async (c, t) => {
          const domain = options.site as string;
          const { sites } = await analyticsInStack<{ sites: Site[] }>(project, ['sites', 'list']);
          const existing = sites.find((s) => s.domain === domain);
          const site = existing ?? (await analyticsInStack<{ site: Site }>(project, ['sites', 'add', domain])).site;
          c.result.site = { domain: site.domain, status: existing ? 'existing' : 'created', snippet: trackerSnippet(config.baseUrl, site.domain) };
          t.output = record(c, 'site', existing ? 'existing' : 'done', site.domain);
        },
      },
    ],
    { quiet: options.quiet, context: { steps: [], files: [], result: {} } },
  );
  return { mode: 'docker', url: config.baseUrl, envFile, files: ctx.files, steps: ctx.steps, ...ctx.result };
}
