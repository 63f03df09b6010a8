import { execa } from 'execa';
import { UserError } from '../cli/errors.js';

export interface ComposeTool {
  /** `v2`: the docker CLI plugin (`docker compose`); `v1`: the Python `docker-compose`. */
  kind: 'v2' | 'v1';
  /** argv prefix, e.g. ['docker', 'compose'] */
  command: [string, ...string[]];
  version: string;
}

const CANDIDATES: { kind: ComposeTool['kind']; command: [string, ...string[]] }[] = [
  { kind: 'v2', command: ['docker', 'compose'] },
  { kind: 'v1', command: ['docker-compose'] },
];

let cached: ComposeTool | undefined;

/**
 * `docker compose` (v2) when the plugin is installed, else `docker-compose` (v1). `ANALYTICS_COMPOSE=v1|v2`
 * forces one (both installed, and the other is wanted).
 */
export async function detectCompose(): Promise<ComposeTool> {
  if (cached) return cached;
  const forced = process.env.ANALYTICS_COMPOSE;
  const tried: string[] = [];
  for (const candidate of CANDIDATES) {
    if (forced && forced !== candidate.kind) continue;
    const [file, ...args] = candidate.command;
    const result = await execa(file, [...args, 'version', '--short'], { reject: false, timeout: 15_000 });
    const version = String(result.stdout ?? '').trim().replace(/^v/, '');
    if (result.exitCode === 0 && /^\d+\.\d+/.test(version)) {
      cached = { ...candidate, version };
      return cached;
    }
    tried.push(candidate.command.join(' '));
  }
  throw new UserError(`Docker Compose was not found (tried ${tried.join(', ')})`, {
    code: 'COMPOSE_NOT_FOUND',
    actions: [
      'install the Compose plugin (docker compose) or docker-compose, e.g. apt-get install docker-compose',
      'or run without Docker: analytics setup --embedded',
    ],
  });
}
