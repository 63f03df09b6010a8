import type { ResolvedSite, SiteResolver } from '../ingest/pipeline.js';
import type { PostgresStore } from '../storage/postgres/index.js';

interface Entry {
  site: ResolvedSite | null;
  expiresAt: number;
}

/**
 * Domain → site from Postgres, cached: ingestion asks for every event, and sites change rarely.
 * Unknown domains are cached too (shorter) so a flood for a foreign domain cannot hammer the database.
 */
export class CachedSiteResolver implements SiteResolver {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly db: PostgresStore,
    private readonly ttlMs = 60_000,
    private readonly missTtlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  resolve(domain: string): ResolvedSite | null | Promise<ResolvedSite | null> {
    const key = domain.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.site;
    return this.load(key);
  }

  /** Forget a domain at once (after `sites add/remove` through the admin socket). */
  invalidate(domain?: string): void {
    if (domain === undefined) this.cache.clear();
    else this.cache.delete(domain.toLowerCase());
  }

  private async load(domain: string): Promise<ResolvedSite | null> {
    const rows = await this.db.query<{ id: string | number; domain: string; ingest_enabled: boolean }>(
      'SELECT id, domain, ingest_enabled FROM sites WHERE lower(domain) = $1',
      [domain],
    );
    const row = rows[0];
    const site = row ? { id: Number(row.id), domain: row.domain, ingestEnabled: row.ingest_enabled } : null;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(domain, { site, expiresAt: Date.now() + (site ? this.ttlMs : this.missTtlMs) });
    return site;
  }
}
