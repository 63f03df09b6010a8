import type { IncomingMessage, ServerResponse } from 'node:http';
import { findSiteForUser, sitesForUser } from '../../dashboard/sites.js';
import { runStatsQuery, type StatsEndpoint } from '../../stats/index.js';
import { sendJson } from '../http.js';
import { currentSession, safeDecode, type DashboardContext, type RouteHandler } from './dashboard.js';

const ENDPOINTS: readonly StatsEndpoint[] = ['aggregate', 'timeseries', 'breakdown', 'realtime/visitors'];
const STATS_PATH = /^\/api\/dashboard\/sites\/([^/]+)\/(aggregate|timeseries|breakdown|realtime\/visitors)$/;

/**
 * The dashboard's JSON: the user's sites, and the Stats API queries of /api/v1 answered for the logged-in
 * user's session instead of a Bearer key (same parameters, same JSON, same runStatsQuery).
 */
export function dashboardApiRoute(ctx: DashboardContext, method: string, pathname: string): RouteHandler | undefined {
  if (method !== 'GET' || !pathname.startsWith('/api/dashboard/')) return undefined;
  if (pathname === '/api/dashboard/sites') return (req, res) => listSites(ctx, req, res);
  const match = STATS_PATH.exec(pathname);
  if (match?.[1] && match[2] && (ENDPOINTS as readonly string[]).includes(match[2])) {
    const domain = safeDecode(match[1]);
    const endpoint = match[2] as StatsEndpoint;
    return (req, res, url) => stats(ctx, req, res, url, domain, endpoint);
  }
  return undefined;
}

const UNAUTHENTICATED = { error: 'Not logged in. Log in at /login.' };

async function listSites(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = await currentSession(ctx, req);
  if (!session) return sendJson(res, 401, UNAUTHENTICATED);
  sendJson(res, 200, { sites: await sitesForUser(ctx.stores.postgres, session.user) });
}

async function stats(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  domain: string,
  endpoint: StatsEndpoint,
): Promise<void> {
  const session = await currentSession(ctx, req);
  if (!session) return sendJson(res, 401, UNAUTHENTICATED);
  const site = await findSiteForUser(ctx.stores.postgres, session.user, domain);
  // The same answer for a site that does not exist and one the user may not see.
  if (!site) return sendJson(res, 404, { error: `Site does not exist or user does not have sufficient access.` });
  const result = await runStatsQuery(ctx.stores, { id: site.id, domain: site.domain, timezone: site.timezone }, endpoint, url.searchParams);
  sendJson(res, result.status, result.body);
}
