import type { IncomingMessage, ServerResponse } from 'node:http';
import { INVALID_LOGIN_MESSAGE, login } from '../../dashboard/auth.js';
import { ASSET_PREFIX, type DashboardAssets } from '../../dashboard/assets.js';
import { parseCookies, serializeCookie } from '../../dashboard/cookies.js';
import { CSRF_FIELD, CSRF_HEADER, csrfTokensMatch, newFormToken, originAllowed } from '../../dashboard/csrf.js';
import { appShell, DASHBOARD_CSP, loginPage } from '../../dashboard/pages.js';
import type { LoginRateLimiter } from '../../dashboard/rate-limit.js';
import { deleteExpiredSessions, deleteSession, findSession, SESSION_MAX_DAYS, type DashboardSession } from '../../dashboard/sessions.js';
import { findSiteForUser } from '../../dashboard/sites.js';
import { clientIp, type TrustedProxies } from '../../ingest/client-ip.js';
import type { OpenedStores } from '../../storage/open.js';
import { BodyTooLargeError, readBody, sendText } from '../http.js';

export const SESSION_COOKIE = 'analytics_session';
const LOGIN_TOKEN_COOKIE = 'analytics_login_csrf';
const LOGIN_BODY_LIMIT = 8 * 1024;

export interface DashboardContext {
  stores: OpenedStores;
  assets: DashboardAssets | undefined;
  limiter: LoginRateLimiter;
  trustedProxies: TrustedProxies;
  /** BASE_URL: decides Secure cookies (https) and is an allowed Origin. */
  baseUrl: string;
}

/** What the server start-up provides; the stores come from the app context. */
export type DashboardOptions = Omit<DashboardContext, 'stores'>;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

const secure = (ctx: DashboardContext) => ctx.baseUrl.startsWith('https:');

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...HTML_HEADERS, 'content-length': String(Buffer.byteLength(html)), ...headers });
  res.end(html);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

/** Only a path on this server: `next=//evil.example` must not become an open redirect. */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : '/sites';
}

export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export async function currentSession(ctx: DashboardContext, req: IncomingMessage): Promise<DashboardSession | undefined> {
  const token = parseCookies(req)[SESSION_COOKIE];
  return token ? findSession(ctx.stores.postgres, token) : undefined;
}

/**
 * A state-changing request made with a session must carry its CSRF token (header or form field) and
 * come from our own origin. Answers 403 itself and returns false when it does not.
 */
export function checkCsrf(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse, expected: string, submitted: string | undefined): boolean {
  const header = req.headers[CSRF_HEADER];
  const token = submitted ?? (Array.isArray(header) ? header[0] : header);
  if (originAllowed(req.headers, [ctx.baseUrl]) && csrfTokensMatch(expected, token)) return true;
  sendText(res, 403, 'Forbidden: missing or invalid CSRF token, or a request from another site. Reload the page and try again.\n');
  return false;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, LOGIN_BODY_LIMIT)).toString('utf8'));
}

function showLogin(ctx: DashboardContext, res: ServerResponse, status: number, input: { error?: string; email?: string; next?: string }, extra: Record<string, string> = {}): void {
  // A fresh double-submit token with every form: the cookie and the hidden field must agree on POST.
  const formToken = newFormToken();
  sendHtml(res, status, loginPage({ assets: ctx.assets, formToken, ...input }), {
    'set-cookie': serializeCookie(LOGIN_TOKEN_COOKIE, formToken, { secure: secure(ctx), maxAgeSeconds: 3600, path: '/login' }),
    ...extra,
  });
}

async function getLogin(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (await currentSession(ctx, req)) {
    redirect(res, safeNext(url.searchParams.get('next')));
    return;
  }
  showLogin(ctx, res, 200, { next: url.searchParams.get('next') ?? '' });
}

async function postLogin(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return sendText(res, 413, 'Request body too large\n');
    throw error;
  }
  // Login CSRF: without it another site could log a visitor into the attacker's account.
  const cookieToken = parseCookies(req)[LOGIN_TOKEN_COOKIE] ?? '';
  if (!checkCsrf(ctx, req, res, cookieToken, form.get(CSRF_FIELD) ?? '')) return;
  const email = form.get('email') ?? '';
  const next = form.get('next') ?? '';
  const result = await login(ctx.stores.postgres, ctx.limiter, {
    email,
    password: form.get('password') ?? '',
    ip: clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], ctx.trustedProxies),
    userAgent: req.headers['user-agent'],
  });
  if (result.status === 'rate-limited') {
    const minutes = Math.ceil(result.retryAfterSeconds / 60);
    showLogin(ctx, res, 429, { error: `Too many login attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, email, next }, {
      'retry-after': String(result.retryAfterSeconds),
    });
    return;
  }
  if (result.status === 'invalid') {
    showLogin(ctx, res, 401, { error: INVALID_LOGIN_MESSAGE, email, next });
    return;
  }
  await deleteExpiredSessions(ctx.stores.postgres);
  redirect(res, safeNext(next), {
    'set-cookie': [
      serializeCookie(SESSION_COOKIE, result.session.token, { secure: secure(ctx), maxAgeSeconds: SESSION_MAX_DAYS * 86400 }),
      serializeCookie(LOGIN_TOKEN_COOKIE, '', { secure: secure(ctx), maxAgeSeconds: 0, path: '/login' }),
    ],
  });
}

async function postLogout(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = await currentSession(ctx, req);
  const form = await readForm(req).catch(() => new URLSearchParams());
  if (session) {
    if (!checkCsrf(ctx, req, res, session.csrfToken, form.get(CSRF_FIELD) ?? undefined)) return;
    await deleteSession(ctx.stores.postgres, parseCookies(req)[SESSION_COOKIE] ?? '');
  }
  redirect(res, '/login', { 'set-cookie': serializeCookie(SESSION_COOKIE, '', { secure: secure(ctx), maxAgeSeconds: 0 }) });
}

async function shell(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse, url: URL, domain?: string): Promise<void> {
  const session = await currentSession(ctx, req);
  if (!session) {
    redirect(res, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
    return;
  }
  if (domain !== undefined && !(await findSiteForUser(ctx.stores.postgres, session.user, domain))) {
    sendHtml(res, 404, appShell({ assets: ctx.assets, csrfToken: session.csrfToken, title: 'Site not found · analytics' }).replace('<main id="app"></main>', '<main id="app"><p>There is no such site, or it is not yours. <a href="/sites">Your sites</a></p></main>'));
    return;
  }
  sendHtml(res, 200, appShell({ assets: ctx.assets, csrfToken: session.csrfToken, title: `${domain ?? 'Sites'} · analytics` }));
}

function serveAsset(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse, name: string): void {
  const asset = ctx.assets?.files.get(name);
  if (!asset) {
    sendText(res, 404, 'Not found\n');
    return;
  }
  // Names carry a content hash: a new build is a new URL, so browsers may keep each file for a year.
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    'cache-control': 'public, max-age=31536000, immutable',
    etag: asset.etag,
    vary: 'Accept-Encoding',
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip : asset.body;
  res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The dashboard's pages: login, logout, the sites list and a site's page (the client draws both), assets. */
export function dashboardPageRoute(ctx: DashboardContext, method: string, pathname: string): RouteHandler | undefined {
  if (method === 'GET') {
    if (pathname === '/') return (_req, res) => redirect(res, '/sites');
    if (pathname === '/login') return (req, res, url) => getLogin(ctx, req, res, url);
    if (pathname === '/sites' || pathname === '/sites/') return (req, res, url) => shell(ctx, req, res, url);
    const site = /^\/sites\/([^/]+)\/?$/.exec(pathname);
    if (site?.[1]) {
      const domain = safeDecode(site[1]);
      return (req, res, url) => shell(ctx, req, res, url, domain);
    }
    if (pathname.startsWith(ASSET_PREFIX)) {
      const name = pathname.slice(ASSET_PREFIX.length);
      return (req, res) => serveAsset(ctx, req, res, name);
    }
  }
  if (method === 'POST' && pathname === '/login') return (req, res) => postLogin(ctx, req, res);
  if (method === 'POST' && pathname === '/logout') return (req, res) => postLogout(ctx, req, res);
  return undefined;
}

