import { runCompose, type ComposeProject } from '../compose/project.js';

/**
 * `analytics <args> --json` in a one-off container of the analytics service: same image, same env, same
 * volumes as the server, on the stack's network — so it reaches the databases by service name, and an
 * embedded store through the data volume (or the running server's admin socket on it).
 */
export async function analyticsInStack<T>(project: ComposeProject, args: string[]): Promise<T> {
  const { stdout } = await runCompose(project, ['run', '--rm', '-T', '--no-deps', 'analytics', ...args, '--json']);
  // compose v1 may print container notices before the command's own output; the JSON is the last block.
  const start = stdout.indexOf('{');
  return JSON.parse(start > 0 ? stdout.slice(start) : stdout) as T;
}
