import Docker from 'dockerode';
import { ServiceUnreachableError } from '../cli/errors.js';

export interface ServiceState {
  service: string;
  container: string;
  image: string;
  /** Docker's state: running, exited, restarting, created, ... */
  state: string;
  /** healthy, unhealthy, starting, or none when the image has no health check. */
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  status: string;
}

/** The engine compose talks to: DOCKER_HOST when set (dockerode reads it), else the default socket. */
export function dockerClient(): Docker {
  return new Docker();
}

function dockerHost(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Containers of one compose project, from their labels (both compose versions set the same ones). */
export async function projectState(projectName: string, docker = dockerClient()): Promise<ServiceState[]> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${projectName}`] },
    });
  } catch (error) {
    throw new ServiceUnreachableError('Docker', dockerHost(), (error as Error).message, {
      actions: ['systemctl start docker', 'analytics doctor'],
      cause: error,
    });
  }
  const states = await Promise.all(
    containers.map(async (info): Promise<ServiceState> => {
      const inspected = await docker.getContainer(info.Id).inspect();
      const health = inspected.State.Health?.Status;
      return {
        service: info.Labels['com.docker.compose.service'] ?? '?',
        container: (info.Names[0] ?? info.Id).replace(/^\//, ''),
        image: info.Image,
        state: inspected.State.Status,
        health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : 'none',
        status: info.Status,
      };
    }),
  );
  return states.sort((a, b) => a.service.localeCompare(b.service));
}

/** Running, and healthy when the container has a health check. */
export function isReady(state: ServiceState): boolean {
  return state.state === 'running' && (state.health === 'healthy' || state.health === 'none');
}

/**
 * Waits until every listed service has a ready container. Fails early on a container that exited or is
 * unhealthy (a restart loop shows as restarting/unhealthy), naming it and the command that shows its logs.
 */
export async function waitForServices(
  projectName: string,
  services: string[],
  options: { timeoutMs: number; intervalMs?: number; onWait?: (pending: ServiceState[]) => void },
): Promise<ServiceState[]> {
  const deadline = Date.now() + options.timeoutMs;
  const docker = dockerClient();
  for (;;) {
    const states = await projectState(projectName, docker);
    const wanted = states.filter((s) => services.includes(s.service));
    const missing = services.filter((s) => !wanted.some((w) => w.service === s));
    const notReady = wanted.filter((s) => !isReady(s));
    if (missing.length === 0 && notReady.length === 0) return wanted;
    if (Date.now() >= deadline) {
      const detail = [
        ...missing.map((m) => `${m}: no container`),
        ...notReady.map((s) => `${s.service}: ${s.state}${s.health === 'none' ? '' : ` (${s.health})`}`),
      ].join(', ');
      throw new ServiceUnreachableError('The compose stack', projectName, `not ready after ${Math.round(options.timeoutMs / 1000)} s: ${detail}`, {
        actions: [`analytics compose logs ${[...missing, ...notReady.map((s) => s.service)][0] ?? ''}`.trim(), 'analytics compose ps'],
      });
    }
    options.onWait?.(notReady);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}
