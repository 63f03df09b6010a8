import { input } from '@inquirer/prompts';
import { parse } from 'yaml';
import { UsageError, UserError } from '../cli/errors.js';
import { detectCompose } from './detect.js';
import { runCompose, type ComposeProject } from './project.js';
import { projectState, waitForServices, type ServiceState } from './state.js';

export interface ComposeServices {
  /** Services with a `build:` section (built here, never pulled). */
  built: string[];
  /** Services that come from a registry. */
  pulled: string[];
}

/** The services of the effective configuration (all files merged, profiles applied), as compose sees them. */
export async function composeServices(project: ComposeProject, profiles: string[] = []): Promise<ComposeServices> {
  const { stdout } = await runCompose(project, [...profileArgs(profiles), 'config']);
  const config = parse(stdout) as { services?: Record<string, { build?: unknown; profiles?: string[] }> };
  const services = Object.entries(config.services ?? {}).filter(
    // v1 prints services of inactive profiles too: leave those out, as `up` does.
    ([, s]) => !s.profiles?.length || s.profiles.some((p) => profiles.includes(p)),
  );
  return {
    built: services.filter(([, s]) => s.build !== undefined).map(([name]) => name),
    pulled: services.filter(([, s]) => s.build === undefined).map(([name]) => name),
  };
}

function profileArgs(profiles: string[]): string[] {
  return profiles.flatMap((p) => ['--profile', p]);
}

export interface ComposeUpResult {
  project: string;
  dir: string;
  compose: string;
  services: ServiceState[];
}

export async function composeUp(
  project: ComposeProject,
  options: { services?: string[]; profiles?: string[]; build?: boolean; wait?: boolean; timeoutMs?: number },
): Promise<ComposeUpResult> {
  const tool = await detectCompose();
  const profiles = options.profiles ?? [];
  await runCompose(project, [...profileArgs(profiles), 'up', '-d', ...(options.build ? ['--build'] : []), ...(options.services ?? [])], {
    output: 'stderr',
  });
  const names = options.services?.length ? options.services : await allServices(project, profiles);
  const services =
    options.wait === false
      ? await projectState(project.name)
      : await waitForServices(project.name, names, { timeoutMs: options.timeoutMs ?? 180_000 });
  return { project: project.name, dir: project.dir, compose: `${tool.kind} ${tool.version}`, services };
}

async function allServices(project: ComposeProject, profiles: string[]): Promise<string[]> {
  const { built, pulled } = await composeServices(project, profiles);
  return [...built, ...pulled];
}

export interface ComposeDownResult {
  project: string;
  removedVolumes: boolean;
  remaining: ServiceState[];
}

export async function composeDown(project: ComposeProject): Promise<ComposeDownResult> {
  await runCompose(project, ['--profile', 'caddy', 'down', '--remove-orphans'], { output: 'stderr' });
  return { project: project.name, removedVolumes: false, remaining: await projectState(project.name) };
}

export interface ComposePsResult {
  project: string;
  services: ServiceState[];
}

export async function composePs(project: ComposeProject): Promise<ComposePsResult> {
  return { project: project.name, services: await projectState(project.name) };
}

export async function composeLogs(
  project: ComposeProject,
  options: { services: string[]; follow: boolean; tail?: number },
): Promise<void> {
  await runCompose(
    project,
    ['logs', '--no-color', ...(options.follow ? ['--follow'] : []), ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]), ...options.services],
    { output: 'inherit' },
  );
}

export interface ComposeRestartResult {
  project: string;
  restarted: string[];
  services: ServiceState[];
}

export async function composeRestart(
  project: ComposeProject,
  options: { services: string[]; timeoutMs?: number },
): Promise<ComposeRestartResult> {
  await runCompose(project, ['restart', ...options.services], { output: 'stderr' });
  const names = options.services.length ? options.services : (await projectState(project.name)).map((s) => s.service);
  const services = await waitForServices(project.name, names, { timeoutMs: options.timeoutMs ?? 180_000 });
  return { project: project.name, restarted: names, services };
}

export interface ComposePullResult {
  project: string;
  pulled: string[];
  built: string[];
}

/** Pulls registry images and builds the locally built ones (the analytics image has no registry of its own). */
export async function composePull(
  project: ComposeProject,
  /** onlyBuild: no registry at all (--no-pull), not even for the base image of the build. */
  options: { build: boolean; profiles?: string[]; onlyBuild?: boolean },
): Promise<ComposePullResult> {
  const services = await composeServices(project, options.profiles ?? []);
  const built = services.built;
  const pulled = options.onlyBuild ? [] : services.pulled;
  if (pulled.length) await runCompose(project, ['pull', ...pulled], { output: 'stderr' });
  if (options.build && built.length) {
    await runCompose(project, ['build', ...(options.onlyBuild ? [] : ['--pull']), ...built], { output: 'stderr' });
  }
  return { project: project.name, pulled, built: options.build ? built : [] };
}

export interface ComposePurgeResult {
  project: string;
  removedVolumes: true;
}

/**
 * Removes the containers and the named volumes (every event, every account). Only with --force, or after the
 * user has typed the project name on a terminal.
 */
export async function composePurge(
  project: ComposeProject,
  options: { force: boolean; canPrompt: boolean },
): Promise<ComposePurgeResult> {
  if (!options.force) {
    if (!options.canPrompt) {
      throw new UsageError(`Purging deletes every volume of "${project.name}" (all data); refusing without confirmation: no terminal to ask on`, {
        code: 'CONFIRMATION_NEEDED',
        actions: ['analytics backup create   (first!)', `analytics compose purge --force --project-name ${project.name}`],
      });
    }
    const typed = await input(
      { message: `This deletes all data of "${project.name}" (containers and volumes). Type the project name to confirm:` },
      { input: process.stdin, output: process.stderr },
    );
    if (typed.trim() !== project.name) throw new UserError('The name did not match; nothing was removed', { code: 'CANCELLED' });
  }
  await runCompose(project, ['--profile', 'caddy', 'down', '--volumes', '--remove-orphans'], { output: 'stderr' });
  return { project: project.name, removedVolumes: true };
}
