import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { IngestCounters } from '../ingest/drop-reasons.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Flusher, Spool } from '../spool/index.js';
import type { OpenedStores } from '../storage/open.js';
import type { BuiltTracker } from '../tracker/build.js';
import { serverHealth } from './health.js';
import { CORS_HEADERS, sendJson } from './http.js';
import type { Logger } from './log.js';
import { dashboardApiRoute } from './routes/dashboard-api.js';
import { dashboardPageRoute, type DashboardOptions } from './routes/dashboard.js';
import { handleEvent } from './routes/event.js';
import { passwordResetRoute, type PasswordResetContext } from './routes/password-reset.js';
import { UNSUBSCRIBE_PREFIX, handleUnsubscribe } from './routes/reports-unsubscribe.js';
import { statsApiRoutes } from './routes/stats-api.js';
import { serveTracker } from './routes/tracker.js';

export interface AppContext {
  stores: OpenedStores;
  pipeline: IngestPipeline;
  spool: Spool;
  flusher: Flusher;
  counters: IngestCounters;
  tracker: BuiltTracker;
  log: Logger;
  system: () => Record<string, unknown>;
  /** Login, sessions and the dashboard pages and API; absent, those routes answer 404. */
  dashboard?: DashboardOptions;
  /** The password-reset pages linked from the login page; absent, they answer 404. */
  passwordReset?: Omit<PasswordResetContext, 'stores'>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

const TRACKER_PATH = /^\/js\/(script|plausible)(\.[a-z-]+)*\.js$/;
/** The event handler never reads its URL: one shared object instead of a parse per pageview. */
const EVENT_URL = new URL('http://local/api/event');

/** The HTTP surface of the server; each route is a small handler in routes/ or here. */
export function createApp(ctx: AppContext): RequestListener {
  const routes: Record<string, Handler> = {
    'POST /api/event': (req, res) => handleEvent(ctx, req, res),
    'OPTIONS /api/event': (_req, res) => {
      res.writeHead(204, CORS_HEADERS);
      res.end();
    },
    'GET /api/health/live': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    'GET /api/health/ready': async (_req, res) => {
      const health = await serverHealth(ctx);
      sendJson(res, health.status === 'critical' ? 503 : 200, health);
    },
    'GET /api/health': async (_req, res) => {
      const health = await serverHealth(ctx);
      sendJson(res, health.status === 'critical' ? 503 : 200, health);
    },
    'GET /api/system': (_req, res) => sendJson(res, 200, ctx.system()),
    ...statsApiRoutes(ctx.stores),
  };

  const dashboard = ctx.dashboard ? { ...ctx.dashboard, stores: ctx.stores } : undefined;
  // Routes with a path parameter (/sites/:domain, /api/dashboard/sites/:domain/:endpoint) match by prefix.
  const dashboardRoute = (method: string, pathname: string): Handler | undefined =>
    dashboard && (dashboardPageRoute(dashboard, method, pathname) ?? dashboardApiRoute(dashboard, method, pathname));

  const handleEventRequest = routes['POST /api/event']!;
  return (req, res) => {
    // The hot path (every pageview) skips URL parsing and the route table.
    if (req.method === 'POST' && req.url === '/api/event') {
      run(handleEventRequest, req, res, EVENT_URL, 'POST /api/event');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler: Handler | undefined =
      routes[`${method} ${url.pathname}`] ??
      (method === 'GET' && TRACKER_PATH.test(url.pathname) ? (rq, rs) => serveTracker(ctx.tracker, rq, rs) : undefined) ??
      ((method === 'GET' || method === 'POST') && url.pathname.startsWith(UNSUBSCRIBE_PREFIX)
        ? (rq, rs, u) => handleUnsubscribe(ctx.stores.postgres, rq, rs, u)
        : undefined) ??
      dashboardRoute(method, url.pathname) ??
      (ctx.passwordReset ? passwordResetRoute({ ...ctx.passwordReset, stores: ctx.stores }, method, url.pathname) : undefined);
    if (!handler) {
      sendJson(res, 404, { error: `no route for ${method} ${url.pathname}` });
      return;
    }
    run(handler, req, res, url, `${method} ${url.pathname}`);
  };

  function run(handler: Handler, req: IncomingMessage, res: ServerResponse, url: URL | undefined, route: string): void {
    Promise.resolve(handler(req, res, url ?? new URL(req.url ?? '/', 'http://local'))).catch((error: unknown) => {
      ctx.log.error('request failed', { route, error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  }
}
