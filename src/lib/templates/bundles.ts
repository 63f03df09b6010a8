import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { APP_VERSION } from '../version.js';
import { PACKAGE_ROOT, TEMPLATE_ROOT, readTemplate, renderTemplate, type TemplateValues } from './engine.js';
import type { PlannedFile } from './write.js';

export const TEMPLATE_TARGETS = ['compose', 'proxy', 'kubernetes', 'systemd', 'cron'] as const;
export type TemplateTarget = (typeof TEMPLATE_TARGETS)[number];

export const DEFAULT_IMAGES = {
  analytics: `analytics:${APP_VERSION}`,
  postgres: 'postgres:16-alpine',
  clickhouse: 'clickhouse/clickhouse-server:24.8-alpine',
  caddy: 'caddy:2-alpine',
} as const;

/** Everything the templates can ask for. Secrets are only needed by the Kubernetes secrets.env. */
export interface TemplateInputs {
  project: string;
  baseUrl: string;
  port: number;
  /** `server`: a ClickHouse container; `embedded`: chDB inside the analytics container's volume. */
  clickhouse: 'server' | 'embedded';
  /** bridge: the stack's own network, the server published on loopback; host: every service on the host's network. */
  network: 'bridge' | 'host';
  images: { analytics: string; postgres: string; clickhouse: string; caddy: string };
  /** Build context of the analytics image: the package itself. */
  buildContext: string;
  namespace: string;
  trustedProxies: string;
  secrets: { secretKeyBase: string; postgresPassword: string; clickhousePassword: string };
  /** systemd unit and crontab. */
  service: { user: string; workingDir: string; node: string; bin: string; envFile: string; dataDir: string; backupDir: string };
}

/** Source folder under templates/ and the folder under the output directory, per target. */
const LAYOUT: Record<TemplateTarget, { from: string; to: string; skip?: (inputs: TemplateInputs, file: string) => boolean }> = {
  compose: {
    from: 'compose',
    to: '.',
    skip: (inputs, file) => inputs.clickhouse === 'embedded' && file.startsWith('clickhouse/'),
  },
  proxy: { from: 'proxy', to: 'proxy' },
  kubernetes: { from: 'kubernetes', to: 'kubernetes' },
  systemd: { from: 'systemd', to: 'systemd' },
  cron: { from: 'cron', to: 'cron' },
};

const SECRET_FILES = new Set(['kubernetes/base/secrets.env']);

export function templateValues(inputs: TemplateInputs): TemplateValues {
  const [imageName, imageTag = 'latest'] = splitImage(inputs.images.analytics);
  return {
    project: inputs.project,
    base_url: inputs.baseUrl,
    domain: new URL(inputs.baseUrl).hostname,
    port: String(inputs.port),
    clickhouse_server: inputs.clickhouse === 'server',
    clickhouse_embedded: inputs.clickhouse === 'embedded',
    network_host: inputs.network === 'host',
    network_bridge: inputs.network === 'bridge',
    postgres_host: inputs.network === 'host' ? '127.0.0.1' : 'postgres',
    clickhouse_host: inputs.network === 'host' ? '127.0.0.1' : 'clickhouse',
    upstream: inputs.network === 'host' ? `127.0.0.1:${inputs.port}` : 'analytics:8000',
    image: inputs.images.analytics,
    image_name: imageName,
    image_tag: imageTag,
    postgres_image: inputs.images.postgres,
    clickhouse_image: inputs.images.clickhouse,
    caddy_image: inputs.images.caddy,
    build_context: inputs.buildContext,
    dockerfile: path.relative(inputs.buildContext, path.join(TEMPLATE_ROOT, 'docker/Dockerfile')),
    namespace: inputs.namespace,
    trusted_proxies: inputs.trustedProxies,
    secret_key_base: inputs.secrets.secretKeyBase,
    postgres_password: inputs.secrets.postgresPassword,
    clickhouse_password: inputs.secrets.clickhousePassword,
    user: inputs.service.user,
    working_dir: inputs.service.workingDir,
    node: inputs.service.node,
    bin: inputs.service.bin,
    env_file: inputs.service.envFile,
    data_dir: inputs.service.dataDir,
    backup_dir: inputs.service.backupDir,
  };
}

/** `registry.example.com:5000/analytics:1.2` → [`registry.example.com:5000/analytics`, `1.2`]. */
function splitImage(image: string): [string, string | undefined] {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      const relative = prefix ? `${prefix}/${name}` : name;
      return statSync(full).isDirectory() ? listFiles(full, relative) : [relative];
    });
}

/** The files one target renders to, under `outputDir`. Nothing is written here. */
export function planTarget(target: TemplateTarget, inputs: TemplateInputs, outputDir: string): PlannedFile[] {
  const layout = LAYOUT[target];
  const values = templateValues(inputs);
  return listFiles(path.join(TEMPLATE_ROOT, layout.from))
    .filter((file) => !layout.skip?.(inputs, file))
    .map((file) => {
      const source = `${layout.from}/${file}`;
      return {
        path: path.resolve(outputDir, layout.to, file),
        content: renderTemplate(readTemplate(source), values, `templates/${source}`),
        mode: SECRET_FILES.has(source) ? 0o600 : 0o644,
      };
    });
}

export function defaultBuildContext(): string {
  return PACKAGE_ROOT;
}
