/**
 * Docker engine and Compose, for the Docker stack. Neither is needed for the embedded mode, so a missing
 * one is a WARNING with the way to install it, never CRITICAL.
 */
import { execa } from 'execa';
import { notOk, ok, type CheckOutcome } from '../health/types.js';

/** Compose files of the stack use features of Engine 20.10 (host-gateway, profiles). */
const MIN_ENGINE = [20, 10];

const INSTALL_DOCKER = 'install Docker Engine: apt-get install docker.io (or https://docs.docker.com/engine/install/); not needed for the embedded mode (analytics start)';

function atLeast(version: string, min: number[]): boolean {
  const parts = version.split(/[.+-]/).map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

export async function dockerCheck(env: NodeJS.ProcessEnv = process.env): Promise<CheckOutcome> {
  const result = await execa('docker', ['version', '--format', '{{json .}}'], { timeout: 10_000, reject: false, env });
  if ((result as { code?: string }).code === 'ENOENT' || result.failed && /ENOENT/.test(String(result.message))) {
    return notOk('WARNING', 'not installed', 'The docker command is not installed', INSTALL_DOCKER);
  }
  let info: { Client?: { Version?: string }; Server?: { Version?: string } | null } = {};
  try {
    info = JSON.parse(String(result.stdout).trim().split('\n')[0] ?? '{}') as typeof info;
  } catch {
    // an old client prints no JSON on errors
  }
  const client = info.Client?.Version;
  const server = info.Server?.Version;
  if (!server) {
    const reason = String(result.stderr).trim().split('\n')[0] ?? 'no answer';
    return notOk('WARNING', `client ${client ?? 'unknown'}, engine not reachable`, `The Docker engine does not answer: ${reason}`, 'systemctl start docker   (or check DOCKER_HOST)', { client });
  }
  const value = `engine ${server}, client ${client ?? 'unknown'}`;
  if (!atLeast(server, MIN_ENGINE)) {
    return notOk('WARNING', value, `Docker Engine ${server} is older than ${MIN_ENGINE.join('.')}`, 'upgrade Docker Engine (https://docs.docker.com/engine/install/)', { client, server });
  }
  return ok(value, { client, server });
}

/** `docker compose` (v2) preferred, `docker-compose` (v1) accepted: the CLI drives either. */
export async function composeCheck(env: NodeJS.ProcessEnv = process.env): Promise<CheckOutcome> {
  const v2 = await execa('docker', ['compose', 'version', '--short'], { timeout: 10_000, reject: false, env });
  if (v2.exitCode === 0 && String(v2.stdout).trim()) {
    const version = String(v2.stdout).trim().replace(/^v/, '');
    return ok(`v2 ${version} (docker compose)`, { variant: 'v2', version });
  }
  const v1 = await execa('docker-compose', ['version', '--short'], { timeout: 10_000, reject: false, env });
  if (v1.exitCode === 0 && String(v1.stdout).trim()) {
    const version = String(v1.stdout).trim();
    return ok(`v1 ${version} (docker-compose; v2 preferred)`, { variant: 'v1', version });
  }
  return notOk('WARNING', 'not installed', 'Neither docker compose (v2) nor docker-compose (v1) is installed', 'install the Compose plugin: apt-get install docker-compose-plugin (or docker-compose); not needed for the embedded mode', {});
}
