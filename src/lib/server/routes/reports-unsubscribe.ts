/**
 * The unsubscribe link of every report: no login, the token decides. GET shows a button (mail scanners
 * that follow links must not unsubscribe anyone); POST unsubscribes — also RFC 8058 one-click from the
 * List-Unsubscribe-Post header, which mail clients send without showing the page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { unsubscribeByToken } from '../../reports/subscriptions.js';
import type { PostgresQueryable } from '../../storage/postgres/index.js';
import { readBody } from '../http.js';

export const UNSUBSCRIBE_PREFIX = '/reports/unsubscribe/';
const TOKEN = /^[A-Za-z0-9_-]{20,64}$/;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:480px;margin:48px auto;padding:0 16px;color:#222">
<h1 style="font-size:20px">${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(html);
}

export async function handleUnsubscribe(db: PostgresQueryable, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const token = decodeURIComponent(url.pathname.slice(UNSUBSCRIBE_PREFIX.length));
  if (!TOKEN.test(token)) {
    page(res, 404, 'Link not valid', '<p>This unsubscribe link is not valid, or it has been used already.</p>');
    return;
  }
  if (req.method === 'POST') {
    await readBody(req, 4096).catch(() => undefined);
    const removed = await unsubscribeByToken(db, token);
    if (!removed) {
      page(res, 404, 'Already unsubscribed', '<p>This address gets no report through this link any more.</p>');
      return;
    }
    page(
      res,
      200,
      'Unsubscribed',
      `<p>${escapeHtml(removed.email)} will no longer get the ${removed.period}ly report for ${escapeHtml(removed.domain)}.</p>`,
    );
    return;
  }
  const rows = await db.query<{ email: string; period: string; domain: string }>(
    'SELECT r.email, r.period, s.domain FROM report_subscriptions r JOIN sites s ON s.id = r.site_id WHERE r.unsubscribe_token = $1',
    [token],
  );
  const sub = rows[0];
  if (!sub) {
    page(res, 404, 'Already unsubscribed', '<p>This address gets no report through this link any more.</p>');
    return;
  }
  page(
    res,
    200,
    'Unsubscribe from email reports',
    `<p>Stop sending the ${sub.period}ly report for <strong>${escapeHtml(sub.domain)}</strong> to ${escapeHtml(sub.email)}?</p>
<form method="post"><button type="submit" style="padding:8px 16px">Unsubscribe</button></form>`,
  );
}
