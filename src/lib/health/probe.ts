/**
 * The end-to-end probe, run by the server on request (admin socket): a synthetic pageview for a probe
 * site goes through the real ingest path (HTTP POST /api/event on the server's own listener, pipeline,
 * fsynced spool), a forced flush moves it to ClickHouse, the Stats API reads it back, and everything the
 * probe created is deleted again. Each probe uses a fresh site under the reserved `.invalid` TLD
 * (RFC 2606), so probes never share sessions or rows and no real domain can collide with them.
 */
import { randomBytes } from 'node:crypto';
import type { Flusher } from '../spool/index.js';
import { createSite, listSites, removeSite, type Site } from '../sites/sites.js';
import { runStatsQuery } from '../stats/index.js';
import type { OpenedStores } from '../storage/open.js';
import { errorText, notOk, ok, type CheckOutcome } from './types.js';

export const PROBE_DOMAIN_SUFFIX = '.health-probe.invalid';
/** A real browser's user agent: the bot filter drops anything that looks automated. */
const PROBE_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
/** The probe must answer well inside a monitoring agent's timeout (and `health` in under 2 s). */
export const PROBE_SLOW_MS = 1_500;
const STEP_TIMEOUT_MS = 3_000;

export interface ProbeDeps {
  stores: OpenedStores;
  flusher: Flusher;
  /** The server's own HTTP address, e.g. http://127.0.0.1:8000 (known once it listens). */
  serverUrl: () => string | undefined;
  /** Forget cached sites after the probe site is created and removed. */
  invalidateSites: () => void;
}

export type ProbeStep = 'create-site' | 'send-event' | 'flush' | 'read-back' | 'delete';

export interface ProbeMeasurement {
  ok: boolean;
  domain: string;
  /** Milliseconds per step, in order. */
  steps: Partial<Record<ProbeStep, number>>;
  totalMs: number;
  failedStep?: ProbeStep;
  error?: string;
  /** Pageviews the Stats API returned for the probe site (1 when all is well). */
  readBack?: number;
  /** Why the probe did not run (a backup holds ingestion). */
  skipped?: string;
}

/**
 * Reads the probe's pageviews back through the Stats API query layer (the same `runStatsQuery` the
 * HTTP API and the dashboard use), from the day the event was sent to today (probe sites are in UTC;
 * a probe at midnight spans two days).
 */
async function readBack(stores: OpenedStores, site: Site, sentAt: Date): Promise<number> {
  const now = new Date();
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const params = new URLSearchParams({ period: 'custom', date: `${day(sentAt)},${day(now)}`, metrics: 'pageviews' });
  const response = await runStatsQuery(stores, { id: site.id, domain: site.domain, timezone: site.timezone }, 'aggregate', params, { now });
  if (response.status !== 200) {
    throw new Error(`the Stats API answered ${response.status}: ${JSON.stringify(response.body).slice(0, 200)}`);
  }
  const body = response.body as { results?: { pageviews?: { value?: number } } };
  return Number(body.results?.pageviews?.value ?? 0);
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function runProbe(deps: ProbeDeps): Promise<ProbeMeasurement> {
  const started = performance.now();
  const domain = `p${randomBytes(6).toString('hex')}${PROBE_DOMAIN_SUFFIX}`;
  const measurement: ProbeMeasurement = { ok: false, domain, steps: {}, totalMs: 0 };
  let site: Site | undefined;
  let step: ProbeStep = 'create-site';
  const timeStep = async <T>(name: ProbeStep, fn: () => Promise<T>): Promise<T> => {
    step = name;
    const at = performance.now();
    const result = await withTimeout(fn(), name);
    measurement.steps[name] = Math.round(performance.now() - at);
    return result;
  };
  if (deps.flusher.status().held) {
    // A backup or restore reads or replaces ClickHouse at a watermark: a probe must not write there now.
    return { ...measurement, ok: false, skipped: 'a backup or restore holds ingestion' };
  }
  try {
    const url = deps.serverUrl();
    if (!url) throw new Error('the server is not listening yet');
    site = await timeStep('create-site', async () => {
      await removeLeftovers(deps.stores);
      return createSite(deps.stores.postgres, { domain });
    });
    deps.invalidateSites();
    const sentAt = new Date();
    await timeStep('send-event', async () => {
      const response = await fetch(`${url}/api/event`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': PROBE_USER_AGENT },
        body: JSON.stringify({ n: 'pageview', u: `https://${domain}/health-probe`, d: domain }),
        signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
      });
      if (response.status !== 202) throw new Error(`POST /api/event answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    });
    await timeStep('flush', async () => {
      const flushed = await deps.flusher.flush({ timeoutMs: STEP_TIMEOUT_MS - 500 });
      if (!flushed.flushed) throw new Error(`the spool could not be flushed to ClickHouse: ${flushed.lastError ?? 'timeout'}`);
    });
    const probeSite = site;
    measurement.readBack = await timeStep('read-back', () => readBack(deps.stores, probeSite, sentAt));
    if (measurement.readBack !== 1) throw new Error(`the Stats API returned ${measurement.readBack} pageviews for the probe, expected 1`);
    measurement.ok = true;
  } catch (error) {
    measurement.failedStep = step;
    measurement.error = errorText(error);
  } finally {
    if (site) {
      try {
        await timeStep('delete', () => removeSite(deps.stores, domain));
      } catch (error) {
        measurement.ok = false;
        measurement.failedStep ??= 'delete';
        measurement.error ??= `could not remove the probe site: ${errorText(error)}`;
      }
      deps.invalidateSites();
    }
  }
  measurement.totalMs = Math.round(performance.now() - started);
  return measurement;
}

/** Probe sites left by a probe that was cut off (server killed mid-probe): never let them pile up. */
async function removeLeftovers(stores: OpenedStores): Promise<void> {
  const leftovers = (await listSites(stores.postgres)).filter(
    (s) => s.domain.endsWith(PROBE_DOMAIN_SUFFIX) && Date.now() - Date.parse(s.createdAt) > 60_000,
  );
  for (const s of leftovers) await removeSite(stores, s.domain);
}

export function classifyProbe(m: ProbeMeasurement): CheckOutcome {
  const steps = Object.entries(m.steps).map(([name, ms]) => `${name} ${ms}`).join(', ');
  const details = { ...m };
  if (m.skipped) {
    return notOk('UNKNOWN', `skipped: ${m.skipped}`, `The probe did not run: ${m.skipped}`, 'analytics health --check probe   (again when the backup has finished)', details);
  }
  if (!m.ok) {
    return notOk(
      'CRITICAL',
      `failed at ${m.failedStep ?? 'unknown step'} after ${m.totalMs} ms`,
      `The end-to-end probe failed at ${m.failedStep}: ${m.error ?? 'unknown error'}`,
      m.failedStep === 'flush' || m.failedStep === 'read-back'
        ? 'analytics health --check clickhouse --check spool'
        : 'analytics health --check server --check postgres   (and the server log)',
      details,
    );
  }
  const value = `event in, read back and removed in ${m.totalMs} ms (${steps} ms)`;
  if (m.totalMs > PROBE_SLOW_MS) {
    return notOk('WARNING', value, `The probe took ${m.totalMs} ms (more than ${PROBE_SLOW_MS} ms)`, 'analytics health --check disk --check clickhouse   (a slow disk or a busy ClickHouse)', details);
  }
  return ok(value, details);
}
