import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import type { IngestCounters } from '../../ingest/drop-reasons.js';
import { SpoolFullError, type Spool } from '../../spool/index.js';
import { BodyTooLargeError, CORS_HEADERS, readBody, sendJson } from '../http.js';
import type { Logger } from '../log.js';

/** Plausible's tracker sends a few hundred bytes; anything near this is not a pageview. */
export const EVENT_BODY_LIMIT = 64 * 1024;

/**
 * The answer to nearly every request, built once. A cross-origin POST needs only the allow-origin
 * header on its answer: the allowed methods and headers matter to a preflight (OPTIONS), which gets them.
 */
const ACCEPTED_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'content-length': '2',
  'access-control-allow-origin': CORS_HEADERS['access-control-allow-origin'],
};

/**
 * POST /api/event: run the pipeline, append what it produced to the spool (fsynced), then answer 202.
 * Malformed input is a 4xx with a JSON reason; a full spool is a 503 so the client retries later.
 */
export async function handleEvent(
  deps: { pipeline: IngestPipeline; spool: Spool; counters: IngestCounters; log: Logger },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, EVENT_BODY_LIMIT);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      deps.counters.count('payload_too_large');
      sendJson(res, 413, { errors: { request: [`body is larger than ${EVENT_BODY_LIMIT} bytes`] } }, CORS_HEADERS);
      return;
    }
    throw error;
  }
  const forwarded = req.headers['x-forwarded-for'];
  const result = await deps.pipeline({
    body,
    remoteAddress: req.socket.remoteAddress,
    userAgent: req.headers['user-agent'],
    forwardedFor: forwarded,
    receivedAt: new Date(),
  });
  if (result.events.length > 0 || result.sessionRows.length > 0) {
    try {
      await deps.spool.append({ events: result.events, sessions: result.sessionRows });
    } catch (error) {
      if (error instanceof SpoolFullError) {
        deps.log.warn('spool full: refusing events until ClickHouse takes them', { detail: error.message });
        sendJson(res, 503, { errors: { request: ['temporarily unable to store events; retry later'] } }, { ...CORS_HEADERS, 'retry-after': '30' });
        return;
      }
      throw error;
    }
  }
  if (result.status === 202) {
    res.writeHead(202, ACCEPTED_HEADERS);
    res.end('ok');
    return;
  }
  const first = result.drops[0];
  sendJson(res, result.status, { errors: first?.errors ?? { request: [first?.message ?? 'invalid event'] } }, CORS_HEADERS);
}
