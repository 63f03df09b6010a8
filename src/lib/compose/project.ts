import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { ExternalCommandError, UserError, tail } from '../cli/errors.js';
import { detectCompose, type ComposeTool } from './detect.js';

export const COMPOSE_FILE = 'docker-compose.yml';
/** Picked up next to the main file, as compose itself does when no -f is given (local tweaks, test stacks). */
export const OVERRIDE_FILE = 'docker-compose.override.yml';
export const DEFAULT_PROJECT = 'analytics';

export interface ComposeProject {
  dir: string;
  name: string;
  files: string[];
}

export function composeProject(dir: string, name = DEFAULT_PROJECT): ComposeProject {
  const root = path.resolve(dir);
  const main = path.join(root, COMPOSE_FILE);
  if (!existsSync(main)) {
    throw new UserError(`No ${COMPOSE_FILE} in ${root}`, {
      code: 'NO_COMPOSE_FILE',
      actions: ['analytics setup   (renders the stack and starts it)', 'analytics compose up --dir DIR_WITH_THE_STACK'],
    });
  }
  const override = path.join(root, OVERRIDE_FILE);
  return { dir: root, name, files: existsSync(override) ? [main, override] : [main] };
}

export function composeArgs(project: ComposeProject, args: string[]): string[] {
  return [
    ...project.files.flatMap((f) => ['-f', f]),
    '--project-name',
    project.name,
    '--project-directory',
    project.dir,
    ...args,
  ];
}

export interface ComposeRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs one compose command in the project directory. `inherit` streams its output to the user's stderr
 * (progress; stdout stays the command's result) — or to stdout for `logs`, where the output is the result.
 */
export async function runCompose(
  project: ComposeProject,
  args: string[],
  options: { output?: 'capture' | 'stderr' | 'inherit'; timeoutMs?: number; tool?: ComposeTool; env?: Record<string, string> } = {},
): Promise<ComposeRun> {
  const tool = options.tool ?? (await detectCompose());
  const [file, ...prefix] = tool.command;
  const fullArgs = [...prefix, ...composeArgs(project, args)];
  const output = options.output ?? 'capture';
  const stdio: Options['stdio'] =
    output === 'inherit' ? ['ignore', 'inherit', 'inherit'] : output === 'stderr' ? ['ignore', 2, 2] : 'pipe';
  const result = await execa(file, fullArgs, {
    cwd: project.dir,
    reject: false,
    stdio,
    timeout: options.timeoutMs,
    env: { ...options.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    all: false,
  });
  if (result.exitCode !== 0 || result.failed) {
    throw new ExternalCommandError(
      [file, ...fullArgs].join(' '),
      result.exitCode,
      tail(String(result.stderr ?? '') || String(result.message ?? '')),
      { actions: [`analytics compose ps --dir ${project.dir}`, `analytics compose logs --dir ${project.dir}`] },
    );
  }
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}
