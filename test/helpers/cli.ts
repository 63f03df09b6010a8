import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binRun = path.join(projectRoot, 'bin/run.js');

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/**
 * Runs the built CLI (`bin/run.js`, as a user would) with no TTY. The environment is reduced to
 * PATH/HOME so configuration in the developer's shell cannot leak into a test.
 */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const result: Result = await execa('node', [binRun, ...args], {
    cwd: options.cwd ?? projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...options.env },
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
  });
  const stdout = String(result.stdout ?? '');
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr ?? ''),
    json<T>() {
      return JSON.parse(stdout) as T;
    },
  };
}

export function tempDir(prefix = 'analytics-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
