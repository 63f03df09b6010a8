import { UserError } from '../cli/errors.js';
import { loadQuery } from '../queries/load.js';
import { findOrCreateSite, type Site } from '../sites/sites.js';
import type { ClickHouseStore } from '../storage/clickhouse/index.js';
import type { PostgresStore } from '../storage/postgres/index.js';
import { COUNTRIES, CUSTOM_EVENTS, DEVICE_PROFILES, HOURS, PAGES, SOURCES, cumulativeWeights } from './profiles.js';

export interface SeedOptions {
  domain: string;
  /** Roughly how many events to generate (the exact number is in the result). */
  events: number;
  days: number;
  /** Same seed, same traffic: handy for tests that compute expected numbers. */
  seed: number;
  /** Delete the site's existing events and sessions first. */
  replace: boolean;
  /** The end of the seeded window (default: now). */
  end?: Date;
}

export interface SeedResult {
  site: Pick<Site, 'id' | 'domain'>;
  events: number;
  sessions: number;
  visitors: number;
  from: string;
  to: string;
  durationMs: number;
  eventsPerSecond: number;
}

/** A visit is 3.2 events on average with the 45 % bounce and 2–8 page spread of seed_events.sql. */
const EVENTS_PER_SESSION = 3.2;

const toClickHouseDateTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

async function siteEventCount(ch: ClickHouseStore, siteId: number): Promise<number> {
  const rows = await ch.query<{ n: string }>('SELECT count() AS n FROM events WHERE site_id = {site:UInt64}', { site: siteId });
  return Number(rows[0]?.n ?? 0);
}

export async function seedDemoSite(
  pg: PostgresStore,
  ch: ClickHouseStore,
  options: SeedOptions,
  onStep: (title: string) => void = () => {},
): Promise<SeedResult> {
  if (!Number.isInteger(options.events) || options.events < 1) {
    throw new UserError('--events must be a whole number of at least 1', { code: 'USAGE' });
  }
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650) {
    throw new UserError('--days must be a whole number from 1 to 3650', { code: 'USAGE' });
  }
  onStep(`site ${options.domain}`);
  const site = await findOrCreateSite(pg, { domain: options.domain });
  const existing = await siteEventCount(ch, site.id);
  if (existing > 0 && !options.replace) {
    throw new UserError(`The site ${site.domain} already has ${existing} events; nothing was seeded`, {
      code: 'ALREADY_SEEDED',
      actions: [`analytics db seed --domain ${site.domain} --replace   (delete them and seed again)`, 'analytics db seed --domain another.example'],
    });
  }
  if (existing > 0) {
    onStep(`deleting ${existing} existing events`);
    for (const table of ['events', 'sessions']) {
      await ch.command(`DELETE FROM ${table} WHERE site_id = {site:UInt64} SETTINGS mutations_sync = 2`, { site: site.id });
    }
  }

  const end = options.end ?? new Date();
  const sessions = Math.max(1, Math.round(options.events / EVENTS_PER_SESSION));
  const started = performance.now();
  onStep(`generating ~${options.events} events over ${options.days} days`);
  await ch.command(loadQuery('clickhouse/seed_events'), {
    site_id: site.id,
    seed: options.seed,
    sessions,
    visitors: Math.max(1, Math.round(sessions * 0.7)),
    days: options.days,
    end: toClickHouseDateTime(end),
    hostname: site.domain,
    pages: PAGES.map((p) => p.value),
    page_weights: cumulativeWeights(PAGES),
    event_names: CUSTOM_EVENTS,
    source_weights: cumulativeWeights(SOURCES),
    source_names: SOURCES.map((s) => s.value.name),
    source_referrers: SOURCES.map((s) => s.value.referrer),
    source_utm_sources: SOURCES.map((s) => s.value.utmSource),
    source_utm_mediums: SOURCES.map((s) => s.value.utmMedium),
    source_utm_campaigns: SOURCES.map((s) => s.value.utmCampaign),
    countries: COUNTRIES.map((c) => c.value),
    country_weights: cumulativeWeights(COUNTRIES),
    profile_weights: cumulativeWeights(DEVICE_PROFILES),
    profile_devices: DEVICE_PROFILES.map((p) => p.value.device),
    profile_oses: DEVICE_PROFILES.map((p) => p.value.os),
    profile_os_versions: DEVICE_PROFILES.map((p) => p.value.osVersion),
    profile_browsers: DEVICE_PROFILES.map((p) => p.value.browser),
    profile_browser_versions: DEVICE_PROFILES.map((p) => p.value.browserVersion),
    hour_weights: cumulativeWeights(HOURS),
  });
  onStep('building sessions');
  await ch.command(loadQuery('clickhouse/seed_sessions'), { site_id: site.id });
  const durationMs = Math.round(performance.now() - started);

  const [counts] = await ch.query<{ events: string; visitors: string; first: string; last: string }>(
    `SELECT count() AS events, uniqExact(user_id) AS visitors, min(timestamp) AS first, max(timestamp) AS last
     FROM events WHERE site_id = {site:UInt64}`,
    { site: site.id },
  );
  const [sessionCount] = await ch.query<{ n: string }>(
    'SELECT count() AS n FROM sessions FINAL WHERE site_id = {site:UInt64}',
    { site: site.id },
  );
  const events = Number(counts?.events ?? 0);
  return {
    site: { id: site.id, domain: site.domain },
    events,
    sessions: Number(sessionCount?.n ?? 0),
    visitors: Number(counts?.visitors ?? 0),
    from: new Date(`${counts?.first}Z`.replace(' ', 'T')).toISOString(),
    to: new Date(`${counts?.last}Z`.replace(' ', 'T')).toISOString(),
    durationMs,
    eventsPerSecond: Math.round(events / Math.max(durationMs / 1000, 0.001)),
  };
}
