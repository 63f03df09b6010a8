/**
 * GET /api/v1/stats/{aggregate,timeseries,breakdown,realtime/visitors}: Plausible's Stats API v1 with
 * Bearer API keys, a per-key hourly rate limit and Plausible's error bodies. The numbers come from
 * runStatsQuery, the same code the dashboard calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyApiKey } from '../../api-keys/keys.js';
import { findSite } from '../../sites/sites.js';
import { runStatsQuery, STATS_ENDPOINTS, type StatsEndpoint } from '../../stats/index.js';
import type { OpenedStores } from '../../storage/open.js';
import type { PostgresQueryable } from '../../storage/postgres/index.js';
import { sendJson } from '../http.js';
import { TokenBucketLimiter } from '../rate-limit.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export const STATS_API_PREFIX = '/api/v1/stats/';

const MISSING_KEY = 'Missing API key. Please use a valid Plausible API key as a Bearer Token.';
const INVALID_KEY =
  "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.";
const MISSING_SITE = 'Missing site ID. Please provide the required site_id parameter with your request.';
const UNKNOWN_SITE = 'Site could not be found';
const rateLimited = (limit: number) =>
  `Too many API requests. Your API key is limited to ${limit} requests per hour. Please contact us to request more capacity.`;

/** The key's owner may read a site when they are an admin or a member of it. */
async function mayReadSite(db: PostgresQueryable, userId: number, siteId: number): Promise<boolean> {
  const rows = await db.query<{ allowed: boolean }>(
    `SELECT (u.is_admin OR EXISTS (SELECT 1 FROM site_memberships m WHERE m.site_id = $2 AND m.user_id = u.id)) AS allowed
     FROM users u WHERE u.id = $1`,
    [userId, siteId],
  );
  return rows[0]?.allowed === true;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim();
}

export interface StatsApiOptions {
  /** The clock (tests move it to refill the rate limit). */
  now?: () => Date;
  limiter?: TokenBucketLimiter;
}

async function handleStatsRequest(
  stores: OpenedStores,
  limiter: TokenBucketLimiter,
  endpoint: StatsEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  now: () => Date,
): Promise<void> {
  const token = bearerToken(req);
  if (!token) return sendJson(res, 401, { error: MISSING_KEY });
  const key = await verifyApiKey(stores.postgres, token);
  if (!key) return sendJson(res, 401, { error: INVALID_KEY });
  const at = now();
  const allowance = limiter.take(`api-key:${key.keyId}`, key.rateLimitPerHour, at.getTime());
  const limitHeaders = {
    'x-ratelimit-limit': String(key.rateLimitPerHour),
    'x-ratelimit-remaining': String(allowance.remaining),
  };
  if (!allowance.allowed) {
    return sendJson(res, 429, { error: rateLimited(key.rateLimitPerHour) }, {
      ...limitHeaders,
      'retry-after': String(allowance.retryAfterSeconds),
    });
  }
  const siteId = url.searchParams.get('site_id');
  if (!siteId) return sendJson(res, 400, { error: MISSING_SITE }, limitHeaders);
  const site = await findSite(stores.postgres, siteId).catch(() => undefined);
  if (!site) return sendJson(res, 404, { error: UNKNOWN_SITE }, limitHeaders);
  if (!(await mayReadSite(stores.postgres, key.userId, site.id))) return sendJson(res, 401, { error: INVALID_KEY }, limitHeaders);
  const result = await runStatsQuery(stores, site, endpoint, url.searchParams, { now: at });
  sendJson(res, result.status, result.body, limitHeaders);
}

/** The routes to add to the app's table: `...statsApiRoutes(ctx.stores)`. */
export function statsApiRoutes(stores: OpenedStores, options: StatsApiOptions = {}): Record<string, Handler> {
  const limiter = options.limiter ?? new TokenBucketLimiter();
  const now = options.now ?? (() => new Date());
  return Object.fromEntries(
    STATS_ENDPOINTS.map((endpoint) => [
      `GET ${STATS_API_PREFIX}${endpoint}`,
      ((req, res, url) => handleStatsRequest(stores, limiter, endpoint, req, res, url, now)) satisfies Handler,
    ]),
  );
}
