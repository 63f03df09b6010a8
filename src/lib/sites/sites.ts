import { UserError } from '../cli/errors.js';
import type { ClickHouseStore } from '../storage/clickhouse/index.js';
import type { PostgresConnection, PostgresQueryable } from '../storage/postgres/index.js';

export interface Site {
  id: number;
  domain: string;
  timezone: string;
  createdAt: string;
}

interface SiteRow {
  id: string | number;
  domain: string;
  timezone: string;
  created_at: Date | string;
}

const toSite = (r: SiteRow): Site => ({
  id: Number(r.id),
  domain: r.domain,
  timezone: r.timezone,
  createdAt: new Date(r.created_at).toISOString(),
});

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(\/[\w\-./]*)?$/;

/** Sites are named by their domain as the tracker sends it: lowercase, no scheme, no `www.`. */
export function normalizeDomain(input: string): string {
  const domain = input
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .replace(/\/+$/, '');
  if (!DOMAIN.test(domain)) {
    throw new UserError(`"${input}" is not a domain name`, {
      code: 'INVALID_DOMAIN',
      actions: ['pass the site\'s domain as the tracker sends it, e.g. example.com or blog.example.com'],
    });
  }
  return domain;
}

export function validateTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw new UserError(`"${timezone}" is not an IANA time zone`, {
      code: 'INVALID_TIMEZONE',
      actions: ['use a name like Etc/UTC or Europe/Berlin'],
    });
  }
}

export async function findSite(db: PostgresQueryable, domain: string): Promise<Site | undefined> {
  const rows = await db.query<SiteRow>(
    'SELECT id, domain, timezone, created_at FROM sites WHERE lower(domain) = lower($1)',
    [normalizeDomain(domain)],
  );
  return rows[0] ? toSite(rows[0]) : undefined;
}

export async function createSite(
  db: PostgresQueryable,
  input: { domain: string; timezone?: string },
): Promise<Site> {
  const domain = normalizeDomain(input.domain);
  const timezone = validateTimezone(input.timezone ?? 'Etc/UTC');
  if (await findSite(db, domain)) {
    throw new UserError(`The site ${domain} already exists`, { code: 'DUPLICATE_SITE', actions: ['analytics sites list'] });
  }
  const rows = await db.query<SiteRow>(
    'INSERT INTO sites (domain, timezone) VALUES ($1, $2) RETURNING id, domain, timezone, created_at',
    [domain, timezone],
  );
  return toSite(rows[0] as SiteRow);
}

export async function findOrCreateSite(db: PostgresQueryable, input: { domain: string; timezone?: string }): Promise<Site> {
  return (await findSite(db, input.domain)) ?? createSite(db, input);
}

export async function listSites(db: PostgresQueryable): Promise<Site[]> {
  const rows = await db.query<SiteRow>('SELECT id, domain, timezone, created_at FROM sites ORDER BY domain');
  return rows.map(toSite);
}

export interface RemovedSite {
  site: Site;
  /** Events and sessions rows of the site deleted from ClickHouse. */
  deletedEvents: number;
  deletedSessions: number;
}

/**
 * Deletes a site and everything recorded for it. The site row goes in a transaction that commits only
 * after ClickHouse has deleted the events and sessions, so a failure there leaves the site in place and
 * the command can simply be run again (nothing is left behind without its site).
 */
export async function removeSite(
  stores: { postgres: PostgresConnection; clickhouse: ClickHouseStore },
  domainInput: string,
): Promise<RemovedSite> {
  const domain = normalizeDomain(domainInput);
  return stores.postgres.transaction(async (tx) => {
    const rows = await tx.query<SiteRow>(
      'DELETE FROM sites WHERE lower(domain) = lower($1) RETURNING id, domain, timezone, created_at',
      [domain],
    );
    if (!rows[0]) {
      throw new UserError(`There is no site ${domain}`, { code: 'UNKNOWN_SITE', actions: ['analytics sites list'] });
    }
    const site = toSite(rows[0]);
    const counts: Record<'events' | 'sessions', number> = { events: 0, sessions: 0 };
    for (const table of ['events', 'sessions'] as const) {
      const [row] = await stores.clickhouse.query<{ n: string }>(
        `SELECT count() AS n FROM ${table} WHERE site_id = {site:UInt64}`,
        { site: site.id },
      );
      counts[table] = Number(row?.n ?? 0);
      // A lightweight delete: rows vanish from queries at once; parts are rewritten by later merges.
      if (counts[table] > 0) {
        await stores.clickhouse.command(`DELETE FROM ${table} WHERE site_id = {site:UInt64} SETTINGS mutations_sync = 2`, {
          site: site.id,
        });
      }
    }
    return { site, deletedEvents: counts.events, deletedSessions: counts.sessions };
  });
}

/** The tag to paste into the site's pages. */
export function trackerSnippet(baseUrl: string, domain: string): string {
  return `<script defer data-domain="${domain}" src="${baseUrl.replace(/\/+$/, '')}/js/script.js"></script>`;
}
