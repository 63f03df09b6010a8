import os from 'node:os';
import path from 'node:path';
import { binRunPath } from './paths.js';
import { DEFAULT_IMAGES, defaultBuildContext, planTarget, type TemplateInputs, type TemplateTarget } from './bundles.js';
import { writeFiles, type WriteOptions, type WrittenFile } from './write.js';

export interface RenderRequest {
  targets: TemplateTarget[];
  outputDir: string;
  project: string;
  baseUrl: string;
  port: number;
  clickhouse: 'server' | 'embedded';
  network?: 'bridge' | 'host';
  images?: Partial<TemplateInputs['images']>;
  namespace?: string;
  trustedProxies?: string;
  /** From the env file; the Kubernetes secrets.env needs them. */
  secrets?: Partial<TemplateInputs['secrets']>;
  envFile: string;
  dataDir: string;
  backupDir: string;
  user?: string;
}

export interface RenderResult {
  outputDir: string;
  dryRun: boolean;
  files: WrittenFile[];
}

export function templateInputs(request: RenderRequest): TemplateInputs {
  const abs = (p: string) => path.resolve(request.outputDir, p);
  return {
    project: request.project,
    baseUrl: request.baseUrl,
    port: request.port,
    clickhouse: request.clickhouse,
    network: request.network ?? 'bridge',
    images: { ...DEFAULT_IMAGES, ...stripUndefined(request.images ?? {}) },
    buildContext: defaultBuildContext(),
    namespace: request.namespace ?? 'analytics',
    trustedProxies: request.trustedProxies ?? '10.0.0.0/8',
    secrets: {
      secretKeyBase: request.secrets?.secretKeyBase ?? 'CHANGE_ME',
      postgresPassword: request.secrets?.postgresPassword ?? 'CHANGE_ME',
      clickhousePassword: request.secrets?.clickhousePassword ?? 'CHANGE_ME',
    },
    service: {
      user: request.user ?? os.userInfo().username,
      workingDir: path.resolve(request.outputDir),
      node: process.execPath,
      bin: binRunPath(),
      envFile: abs(request.envFile),
      dataDir: abs(request.dataDir),
      backupDir: abs(request.backupDir),
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Renders the requested targets into `outputDir`, honouring --dry-run and never overwriting silently. */
export async function renderTemplates(request: RenderRequest, options: WriteOptions): Promise<RenderResult> {
  const inputs = templateInputs(request);
  const planned = request.targets.flatMap((target) => planTarget(target, inputs, request.outputDir));
  const files = await writeFiles(planned, options);
  return { outputDir: path.resolve(request.outputDir), dryRun: options.dryRun, files };
}
