import { runCompose, type ComposeProject } from '../compose/project.js';
import { projectState } from '../compose/state.js';

/** Where the image puts the package (templates/docker/Dockerfile): `exec` does not go through the entrypoint. */
const IMAGE_CLI = ['node', '/app/bin/run.js'];

/**
 * `analytics <args> --json` inside the stack. While the server runs, in its container (`exec`): an embedded store
 * in the volume belongs to it and is reached through its admin socket. Otherwise in a one-off container of the
 * analytics service (`run`): same image, env and volumes, on the stack's network. (`run` beside a running server
 * is also refused by Compose v1 under host networking: it adds links.)
 */
export async function analyticsInStack<T>(project: ComposeProject, args: string[]): Promise<T> {
  const running = (await projectState(project.name)).some((s) => s.service === 'analytics' && s.state === 'running');
  const command = running
    ? ['exec', '-T', 'analytics', ...IMAGE_CLI, ...args, '--json']
    : ['run', '--rm', '-T', '--no-deps', 'analytics', ...args, '--json'];
  const { stdout } = await runCompose(project, command);
  // compose v1 may print container notices before the command's own output; the JSON is the last block.
  const start = stdout.indexOf('{');
  return JSON.parse(start > 0 ? stdout.slice(start) : stdout) as T;
}
