import { confirm } from '@inquirer/prompts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readEnvFile, type LoadedConfig } from '../config/load.js';
import { UserError } from '../cli/errors.js';
import type { TemplateTarget } from './bundles.js';
import { renderTemplates, type RenderRequest, type RenderResult } from './render.js';

export interface RenderFromConfigOptions {
  loaded: LoadedConfig;
  envFile: string;
  targets: TemplateTarget[];
  outputDir: string;
  project: string;
  clickhouse: 'server' | 'embedded';
  network: 'bridge' | 'host';
  images: RenderRequest['images'];
  namespace?: string;
  trustedProxies?: string;
  write: { dryRun: boolean; force: boolean; canPrompt: boolean };
}

/** Templates filled from the configuration (BASE_URL, PORT, DATA_DIR, ...) and the env file's secrets. */
export async function renderFromConfig(options: RenderFromConfigOptions): Promise<RenderResult> {
  const { config } = options.loaded;
  if (!config) {
    throw new UserError('The configuration is invalid, so the templates cannot be filled in', {
      code: 'INVALID_CONFIG',
      actions: ['analytics env check'],
    });
  }
  const envPath = path.resolve(options.envFile);
  const env = existsSync(envPath) ? readEnvFile(envPath) : {};
  return renderTemplates(
    {
      targets: options.targets,
      outputDir: options.outputDir,
      project: options.project,
      baseUrl: config.baseUrl,
      port: config.port,
      clickhouse: options.clickhouse,
      network: options.network,
      images: options.images,
      namespace: options.namespace,
      trustedProxies: options.trustedProxies,
      secrets: {
        secretKeyBase: config.secretKeyBase,
        postgresPassword: env.POSTGRES_PASSWORD,
        clickhousePassword: env.CLICKHOUSE_PASSWORD,
      },
      envFile: envPath,
      dataDir: config.dataDir,
      backupDir: config.backup.dir,
    },
    {
      dryRun: options.write.dryRun,
      force: options.write.force,
      confirmOverwrite: options.write.canPrompt
        ? (file) => confirm({ message: `${file} differs from the template. Overwrite it?`, default: false }, { output: process.stderr })
        : undefined,
    },
  );
}
