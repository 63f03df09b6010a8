/**
 * Password reset from the login page, without a session: ask for a link (the same answer for every
 * address), open it, choose a new password. Forms carry a double-submit CSRF token like the login form.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESET_REQUESTED_MESSAGE, findResetToken, requestPasswordReset, resetPassword } from '../../accounts/password-reset.js';
import { UserError } from '../../cli/errors.js';
import type { DashboardAssets } from '../../dashboard/assets.js';
import { parseCookies, serializeCookie } from '../../dashboard/cookies.js';
import { CSRF_FIELD, csrfTokensMatch, newFormToken, originAllowed } from '../../dashboard/csrf.js';
import { DASHBOARD_CSP, pageLayout } from '../../dashboard/pages.js';
import type { SmtpSettings } from '../../mail/settings.js';
import type { OpenedStores } from '../../storage/open.js';
import { BodyTooLargeError, readBody, sendText } from '../http.js';
import type { Logger } from '../log.js';

export const PASSWORD_RESET_PATH = '/password-reset';
const FORM_COOKIE = 'analytics_reset_csrf';
const BODY_LIMIT = 8 * 1024;
/** Per address: enough for a lost mail or two, too few to flood someone's inbox with resets. */
const REQUESTS_PER_WINDOW = 3;
const WINDOW_MS = 15 * 60_000;

export interface PasswordResetContext {
  stores: OpenedStores;
  baseUrl: string;
  /** Undefined when MAILER_ADAPTER=none: the page says to ask the administrator instead. */
  smtp: SmtpSettings | undefined;
  assets: DashboardAssets | undefined;
  log: Logger;
}

type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const recentRequests = new Map<string, number[]>();

function allowRequest(email: string, now = Date.now()): boolean {
  const key = email.trim().toLowerCase();
  const recent = (recentRequests.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  if (recent.length >= REQUESTS_PER_WINDOW) return false;
  recent.push(now);
  recentRequests.set(key, recent);
  if (recentRequests.size > 10_000) recentRequests.clear();
  return true;
}

function sendPage(ctx: PasswordResetContext, res: ServerResponse, status: number, title: string, body: string, formToken?: string): void {
  const html = pageLayout(`${title} · analytics`, ctx.assets, '', `<main id="app"><div class="card login">${body}</div></main>`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
    'cache-control': 'no-store',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // The token is in the URL: it must not leak to other sites through Referer.
    'referrer-policy': 'no-referrer',
    ...(formToken
      ? { 'set-cookie': serializeCookie(FORM_COOKIE, formToken, { secure: ctx.baseUrl.startsWith('https:'), maxAgeSeconds: 3600, path: PASSWORD_RESET_PATH }) }
      : {}),
  });
  res.end(html);
}

function requestForm(ctx: PasswordResetContext, res: ServerResponse, status = 200, notice?: string): void {
  if (!ctx.smtp) {
    sendPage(ctx, res, 200, 'Reset your password', '<h1>Reset your password</h1><p>This server sends no mail. Ask its administrator to run <code>analytics users password YOUR_EMAIL</code>.</p><p><a href="/login">Back to log in</a></p>');
    return;
  }
  const token = newFormToken();
  sendPage(
    ctx,
    res,
    status,
    'Reset your password',
    `<h1>Reset your password</h1>${notice ? `<div class="notice" role="status" data-testid="reset-notice">${escapeHtml(notice)}</div>` : ''}
<form method="post" action="${PASSWORD_RESET_PATH}" data-testid="reset-request-form">
<input type="hidden" name="${CSRF_FIELD}" value="${token}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required data-testid="reset-email">
<button type="submit" data-testid="reset-request-submit">Email me a link</button>
</form><p><a href="/login">Back to log in</a></p>`,
    token,
  );
}

function newPasswordForm(ctx: PasswordResetContext, res: ServerResponse, token: string, email: string, status = 200, error?: string): void {
  const formToken = newFormToken();
  sendPage(
    ctx,
    res,
    status,
    'Choose a new password',
    `<h1>Choose a new password</h1><p>for ${escapeHtml(email)}</p>${error ? `<div class="error" role="alert" data-testid="reset-error">${escapeHtml(error)}</div>` : ''}
<form method="post" action="${PASSWORD_RESET_PATH}/${token}" data-testid="reset-form">
<input type="hidden" name="${CSRF_FIELD}" value="${formToken}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required data-testid="reset-password">
<label for="confirm">Repeat it</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required data-testid="reset-confirm">
<button type="submit" data-testid="reset-submit">Set the password</button>
</form>`,
    formToken,
  );
}

function invalidLink(ctx: PasswordResetContext, res: ServerResponse): void {
  sendPage(ctx, res, 404, 'Link not valid', `<h1>This link does not work any more</h1><p>Reset links work once, for an hour, and only the newest one.</p><p><a href="${PASSWORD_RESET_PATH}">Ask for a new link</a></p>`);
}

async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> {
  try {
    return new URLSearchParams((await readBody(req, BODY_LIMIT)).toString('utf8'));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendText(res, 413, 'Request body too large\n');
      return undefined;
    }
    throw error;
  }
}

function csrfOk(ctx: PasswordResetContext, req: IncomingMessage, res: ServerResponse, form: URLSearchParams): boolean {
  const cookie = parseCookies(req)[FORM_COOKIE] ?? '';
  if (originAllowed(req.headers, [ctx.baseUrl]) && csrfTokensMatch(cookie, form.get(CSRF_FIELD) ?? '')) return true;
  sendText(res, 403, 'Forbidden: missing or invalid form token, or a request from another site. Reload the page and try again.\n');
  return false;
}

async function postRequest(ctx: PasswordResetContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readForm(req, res);
  if (!form || !csrfOk(ctx, req, res, form)) return;
  const email = (form.get('email') ?? '').trim();
  if (ctx.smtp && email && allowRequest(email)) {
    const request = await requestPasswordReset(ctx.stores.postgres, {
      email,
      baseUrl: ctx.baseUrl,
      smtp: ctx.smtp,
      onError: (error) => ctx.log.warn('password reset mail failed', { error: error instanceof Error ? error.message : String(error) }),
    });
    void request.delivery;
  }
  requestForm(ctx, res, 200, RESET_REQUESTED_MESSAGE);
}

async function getToken(ctx: PasswordResetContext, res: ServerResponse, token: string): Promise<void> {
  const found = await findResetToken(ctx.stores.postgres, token);
  if (!found) return invalidLink(ctx, res);
  newPasswordForm(ctx, res, token, found.email);
}

async function postToken(ctx: PasswordResetContext, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  const form = await readForm(req, res);
  if (!form || !csrfOk(ctx, req, res, form)) return;
  const found = await findResetToken(ctx.stores.postgres, token);
  if (!found) return invalidLink(ctx, res);
  const password = form.get('password') ?? '';
  if (password !== (form.get('confirm') ?? '')) return newPasswordForm(ctx, res, token, found.email, 422, 'The two passwords differ.');
  let outcome;
  try {
    outcome = await resetPassword(ctx.stores.postgres, token, password);
  } catch (error) {
    if (error instanceof UserError) return newPasswordForm(ctx, res, token, found.email, 422, error.message);
    throw error;
  }
  if (!outcome.ok) return invalidLink(ctx, res);
  ctx.log.info('password reset', { userId: outcome.userId, endedSessions: outcome.endedSessions });
  sendPage(ctx, res, 200, 'Password changed', '<h1>Password changed</h1><p data-testid="reset-done">Your password has been changed and every other login has been ended.</p><p><a href="/login">Log in</a></p>');
}

export function passwordResetRoute(ctx: PasswordResetContext, method: string, pathname: string): RouteHandler | undefined {
  if (pathname === PASSWORD_RESET_PATH) {
    if (method === 'GET') return (_req, res) => requestForm(ctx, res);
    if (method === 'POST') return (req, res) => postRequest(ctx, req, res);
    return undefined;
  }
  const match = /^\/password-reset\/([A-Za-z0-9_-]{1,100})$/.exec(pathname);
  if (!match?.[1]) return undefined;
  const token = match[1];
  if (method === 'GET') return (_req, res) => getToken(ctx, res, token);
  if (method === 'POST') return (req, res) => postToken(ctx, req, res, token);
  return undefined;
}
