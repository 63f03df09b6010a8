/** The server's own `/api/health` over HTTP: is the listener up, and what does it say about itself. */
import { formatDuration } from './format.js';
import { errorText, notOk, ok, type CheckOutcome } from './types.js';

const HTTP_TIMEOUT_MS = 2_000;

interface ServerHealthBody {
  status?: string;
  postgres?: { status?: string; error?: string };
  clickhouse?: { status?: string; error?: string };
  ingest?: { status?: string; error?: string };
}

const START_SERVER = 'analytics start   (or: systemctl start analytics, analytics compose up)';

export async function serverHttpCheck(url: string | undefined, options: { pid?: number } = {}): Promise<CheckOutcome> {
  if (!url) {
    return notOk('CRITICAL', 'not running', 'No analytics server answers on its admin socket or its configured port', START_SERVER);
  }
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorText(error);
    return notOk('CRITICAL', `no answer from ${url}`, `The server at ${url} does not answer: ${cause}`, START_SERVER, { url });
  }
  const ms = Math.round(performance.now() - started);
  let body: ServerHealthBody = {};
  try {
    body = (await response.json()) as ServerHealthBody;
  } catch {
    // a proxy's error page: the status code says enough
  }
  const details = { url, httpStatus: response.status, latencyMs: ms, ...(options.pid ? { pid: options.pid } : {}), reported: body.status };
  const value = `HTTP ${response.status} ${body.status ?? ''} in ${formatDuration(ms)} at ${url}`.replace(/\s+/g, ' ');
  const failing = (['postgres', 'clickhouse', 'ingest'] as const)
    .filter((c) => body[c]?.status && body[c]?.status !== 'ok')
    .map((c) => `${c}: ${body[c]?.error ?? body[c]?.status}`);
  if (response.status >= 500 || body.status === 'critical') {
    return notOk('CRITICAL', value, `The server reports itself unhealthy${failing.length ? ` (${failing.join('; ')})` : ''}`, 'analytics health --check postgres --check clickhouse --check spool', details);
  }
  if (response.status !== 200 || body.status !== 'ok') {
    return notOk('WARNING', value, `The server reports a problem${failing.length ? ` (${failing.join('; ')})` : ''}`, 'analytics health --check spool --check clickhouse', details);
  }
  return ok(value, details);
}
