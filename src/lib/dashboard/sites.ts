import { normalizeDomain } from '../sites/sites.js';
import type { PostgresQueryable } from '../storage/postgres/index.js';
import type { SessionUser } from './sessions.js';

export interface DashboardSite {
  id: number;
  domain: string;
  timezone: string;
  /** The user's role on the site; admins see every site as 'admin'. */
  role: 'owner' | 'admin' | 'viewer';
}

interface Row {
  id: string | number;
  domain: string;
  timezone: string;
  role: DashboardSite['role'];
}

const toSite = (r: Row): DashboardSite => ({ id: Number(r.id), domain: r.domain, timezone: r.timezone, role: r.role });

/** The sites a user may see: those they are a member of; an instance admin sees all of them. */
export async function sitesForUser(db: PostgresQueryable, user: SessionUser): Promise<DashboardSite[]> {
  const rows = await db.query<Row>(
    `SELECT s.id, s.domain, s.timezone, coalesce(m.role, 'admin') AS role
     FROM sites s LEFT JOIN site_memberships m ON m.site_id = s.id AND m.user_id = $1
     WHERE m.user_id IS NOT NULL OR $2
     ORDER BY s.domain`,
    [user.id, user.isAdmin],
  );
  return rows.map(toSite);
}

/** One site by domain if the user may see it; undefined both when it does not exist and when it is not theirs. */
export async function findSiteForUser(db: PostgresQueryable, user: SessionUser, domainInput: string): Promise<DashboardSite | undefined> {
  let domain: string;
  try {
    domain = normalizeDomain(domainInput);
  } catch {
    return undefined;
  }
  const rows = await db.query<Row>(
    `SELECT s.id, s.domain, s.timezone, coalesce(m.role, 'admin') AS role
     FROM sites s LEFT JOIN site_memberships m ON m.site_id = s.id AND m.user_id = $1
     WHERE lower(s.domain) = lower($3) AND (m.user_id IS NOT NULL OR $2)`,
    [user.id, user.isAdmin, domain],
  );
  return rows[0] ? toSite(rows[0]) : undefined;
}
