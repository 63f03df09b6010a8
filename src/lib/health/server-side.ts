/**
 * The server's side of `analytics health`: one admin-socket operation that runs the checks needing the
 * stores or the live ingest state on what the server already has open. The CLI cannot open embedded
 * stores while the server owns them, and the probe needs the server's own listener, spool and flusher.
 */
import { z } from 'zod';
import { UsageError } from '../cli/errors.js';
import type { Flusher, Spool } from '../spool/index.js';
import type { OpenedStores } from '../storage/open.js';
import { APP_VERSION } from '../version.js';
import { clickhouseVolumes, type VolumeUsage } from './disk.js';
import { classifyProbe, runProbe, type ProbeDeps } from './probe.js';
import { classifySpool, measureLiveSpool } from './spool.js';
import { STORE_CHECKS, type StoreCheckName } from './stores.js';
import { errorText, type CheckOutcome } from './types.js';

export const SERVER_HEALTH_OPERATION = 'health.report';

export const SERVER_SIDE_CHECKS = ['postgres', 'clickhouse', 'migrations', 'salt', 'system-logs', 'spool', 'probe', 'mail'] as const;
export type ServerSideCheckName = (typeof SERVER_SIDE_CHECKS)[number];

export interface ServerHealthDeps extends ProbeDeps {
  spool: Spool;
  flusher: Flusher;
  stores: OpenedStores;
}

export interface ServerHealthReport {
  /** Where the server listens (the CLI checks /api/health there). */
  url?: string;
  version: string;
  pid: number;
  checks: Partial<Record<ServerSideCheckName, CheckOutcome & { durationMs: number }>>;
  /** The ClickHouse server's disks, when asked for (`clickhouseDisks`). */
  clickhouseVolumes?: VolumeUsage[];
}

const input = z
  .object({ checks: z.array(z.enum(SERVER_SIDE_CHECKS)).optional(), clickhouseDisks: z.boolean().optional() })
  .strict()
  .optional()
  .transform((v) => v ?? {});

async function runCheck(deps: ServerHealthDeps, name: ServerSideCheckName): Promise<CheckOutcome> {
  if (name === 'spool') return classifySpool(measureLiveSpool(deps.spool, deps.flusher));
  if (name === 'probe') return classifyProbe(await runProbe(deps));
  return STORE_CHECKS[name as StoreCheckName](deps.stores);
}

/** The `health.report` operation for the admin socket's serverOperations. */
export function serverHealthOperation(deps: ServerHealthDeps): (raw: unknown) => Promise<ServerHealthReport> {
  return async (raw) => {
    const parsed = input.safeParse(raw);
    if (!parsed.success) {
      throw new UsageError(`Invalid input for ${SERVER_HEALTH_OPERATION}:\n${z.prettifyError(parsed.error)}`, { code: 'INVALID_INPUT' });
    }
    const names = parsed.data.checks ?? [...SERVER_SIDE_CHECKS];
    const entries = await Promise.all(
      names.map(async (name) => {
        const started = performance.now();
        let outcome: CheckOutcome;
        try {
          outcome = await runCheck(deps, name);
        } catch (error) {
          outcome = { status: 'UNKNOWN', value: 'not measured', message: `The check failed in the server: ${errorText(error)}`, next: 'look at the server log' };
        }
        return [name, { ...outcome, durationMs: Math.round(performance.now() - started) }] as const;
      }),
    );
    const volumes = parsed.data.clickhouseDisks ? await clickhouseVolumes(deps.stores.clickhouse).catch(() => undefined) : undefined;
    const url = deps.serverUrl();
    return {
      ...(url ? { url } : {}),
      version: APP_VERSION,
      pid: process.pid,
      checks: Object.fromEntries(entries),
      ...(volumes ? { clickhouseVolumes: volumes } : {}),
    };
  };
}
