/**
 * The CLI's side of the admin socket: one operation per connection. "Nobody there" (no socket file,
 * or a file left by a dead server) is an answer of its own, so the caller can open the stores itself.
 */
import { request } from 'node:http';
import { ServiceUnreachableError, UserError, type ErrorJson } from '../cli/errors.js';
import { OPERATIONS_PATH, errorFromJson } from './protocol.js';

export type SocketCall = { answered: false } | { answered: true; result: unknown };

/** Operations such as removing a site with millions of events take a while; a hung server does not. */
const RESPONSE_TIMEOUT_MS = 10 * 60_000;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Errors of connect(2) on a Unix socket that mean no process listens there; nothing was sent. */
const NOBODY_LISTENS = new Set(['ENOENT', 'ECONNREFUSED']);

/**
 * Sends one operation to the server. Resolves `{ answered: false }` when no server listens on the
 * socket; rejects with the server's error (rebuilt as the same AnalyticsError, same exit code) when
 * the operation failed there.
 */
export function callAdminSocket(
  socketPath: string,
  name: string,
  input: unknown,
  options: { timeoutMs?: number } = {},
): Promise<SocketCall> {
  const body = JSON.stringify(input ?? {});
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      path: `${OPERATIONS_PATH}${encodeURIComponent(name)}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: options.timeoutMs ?? RESPONSE_TIMEOUT_MS,
    });
    const unreachable = (reason: string, cause?: unknown) =>
      new ServiceUnreachableError('The analytics server', socketPath, reason, {
        actions: ['check the server log (analytics start), or stop the server and run the command again'],
        cause,
      });
    req.once('timeout', () => req.destroy(unreachable('no answer on the admin socket in time')));
    req.once('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof ServiceUnreachableError) return reject(error);
      if (error.code && NOBODY_LISTENS.has(error.code)) return resolve({ answered: false });
      if (error.code === 'EACCES') {
        return reject(
          new UserError(`Permission denied on the admin socket ${socketPath}`, {
            code: 'ADMIN_SOCKET_DENIED',
            actions: ['run the command as the account that runs the server (the socket has mode 0600)'],
          }),
        );
      }
      reject(unreachable(error.message, error));
    });
    req.once('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) response.destroy(unreachable('the answer is too large'));
        else chunks.push(chunk);
      });
      response.once('error', (error) => reject(error instanceof ServiceUnreachableError ? error : unreachable(error.message, error)));
      response.once('end', () => {
        let parsed: { result?: unknown; error?: ErrorJson };
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
        } catch {
          return reject(unreachable(`an answer that is not JSON (HTTP ${response.statusCode})`));
        }
        if (parsed.error) return reject(errorFromJson(parsed.error));
        if (response.statusCode !== 200 || !('result' in parsed)) {
          return reject(unreachable(`an unexpected answer (HTTP ${response.statusCode})`));
        }
        resolve({ answered: true, result: parsed.result });
      });
    });
    req.end(body);
  });
}
