import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BuiltTracker } from '../../tracker/build.js';

/**
 * GET /js/script.js and Plausible-style variants (/js/script.outbound-links.js ...): one build, cached
 * by browsers for a day and revalidated by ETag; gzip when the client takes it.
 */
export function serveTracker(tracker: BuiltTracker, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {
    'content-type': 'application/javascript; charset=utf-8',
    'cache-control': 'public, max-age=86400, must-revalidate',
    etag: tracker.etag,
    vary: 'Accept-Encoding',
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (req.headers['if-none-match'] === tracker.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? tracker.gzip : Buffer.from(tracker.code);
  res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
