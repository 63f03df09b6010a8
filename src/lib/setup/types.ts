import type { WrittenFile } from '../templates/write.js';

export type StepStatus = 'done' | 'existing' | 'skipped';

export interface SetupStep {
  name: string;
  status: StepStatus;
  detail?: string;
}

export interface SetupResult {
  mode: 'docker' | 'embedded';
  url: string;
  envFile: string;
  files: WrittenFile[];
  steps: SetupStep[];
  admin?: {
    email: string;
    status: 'created' | 'existing';
    /** Only when generated in this run: shown once, stored only as a hash. */
    generatedPassword?: string;
  };
  site?: { domain: string; status: 'created' | 'existing'; snippet: string };
  /** embedded: how the server was started. */
  service?: { manager: 'systemd' | 'detached' | 'already-running'; unit?: string; pid?: number; log?: string; note?: string };
}

/** What every setup run records as it goes; listr2's context. */
export interface SetupContext {
  steps: SetupStep[];
  files: WrittenFile[];
  result: Partial<SetupResult>;
}

export function record(ctx: SetupContext, name: string, status: StepStatus, detail?: string): string {
  ctx.steps.push({ name, status, ...(detail ? { detail } : {}) });
  return detail ? `${name}: ${status} (${detail})` : `${name}: ${status}`;
}
