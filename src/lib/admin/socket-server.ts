/**
 * The server's local admin socket: while `analytics start` owns the embedded DATA_DIR, CLI admin
 * commands cannot open the stores themselves (PGlite has no lock; two processes corrupt it), so they
 * send the operation here and the server runs it on its own open stores. A Unix socket with mode 0600:
 * only the account that runs the server (and root) can connect, which is the whole access control.
 */
import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { UsageError, UserError, type ErrorJson } from '../cli/errors.js';
import { toAnalyticsError } from '../cli/error-mapping.js';
import type { OpenedStores } from '../storage/open.js';
import {
  executeAdminOperation,
  isAdminOperationName,
  type AdminContext,
  type AdminOperationName,
  type CompletedAdminOperation,
} from './operations.js';
import { BUG_CODE, MAX_REQUEST_BYTES, OPERATIONS_PATH, httpStatusOf, type AdminResponse } from './protocol.js';

/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const PROBE_TIMEOUT_MS = 1_000;

export interface AdminSocketOptions {
  /** Largest request body accepted; default 64 KiB (inputs are a few fields). */
  maxBodyBytes?: number;
  /**
   * Called with every operation that failed with a bug (not a user-fixable error), e.g. to log its
   * stack; by default the stack goes to stderr. The CLI gets the message only.
   */
  onError?: (error: unknown, operation: string) => void;
  /** Runs before a valid operation name is executed, e.g. to flush buffered events before `sites.remove`. */
  beforeOperation?: (name: AdminOperationName) => Promise<void> | void;
  /** What the server lends operations beyond its stores (the ingest hold for backup and restore). */
  context?: AdminContext;
  /** Runs after an operation succeeded, e.g. to forget a cached site after `sites.add` / `sites.remove`. */
  afterOperation?: (done: CompletedAdminOperation) => void;
}

export interface AdminSocket {
  readonly path: string;
  /** Stops accepting requests, ends open connections and removes the socket file; idempotent. */
  close(): Promise<void>;
}

export async function startAdminSocket(
  socketPath: string,
  stores: OpenedStores,
  options: AdminSocketOptions = {},
): Promise<AdminSocket> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new UserError(
      `The admin socket path ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket allows`,
      { code: 'ADMIN_SOCKET_PATH_TOO_LONG', actions: ['use a shorter DATA_DIR'] },
    );
  }
  await removeStaleSocket(socketPath);

  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BYTES;
  const server = createServer((request, response) => {
    void handle(request, response, stores, maxBodyBytes, { ...options, onError: options.onError ?? logBug });
  });

  // The socket is created with the umask's mode: 0177 makes it 0600 from its first moment, so there
  // is no window in which another account could connect before the chmod below.
  const previousUmask = process.umask(0o177);
  const listening = new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  try {
    server.listen(socketPath);
  } finally {
    process.umask(previousUmask);
  }
  await listening;
  chmodSync(socketPath, 0o600);
  const inode = statSync(socketPath).ino;

  let closing: Promise<void> | undefined;
  return {
    path: socketPath,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => {
        // Never delete a socket another server has put at this path since.
        try {
          if (statSync(socketPath).ino === inode) unlinkSync(socketPath);
        } catch {
          // Already gone (node removes it on close).
        }
      });
      return closing;
    },
  };
}

function logBug(error: unknown, operation: string): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`admin socket: operation ${operation || '(none)'} failed unexpectedly: ${detail}\n`);
}

/** A socket file nobody answers on is left by a crashed server: remove it. A live one is refused. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) {
    throw new UserError(`${socketPath} exists and is not a socket; the admin socket cannot be created there`, {
      code: 'ADMIN_SOCKET_PATH_TAKEN',
      actions: [`move ${socketPath} away`],
    });
  }
  if (await answers(socketPath)) {
    throw new UserError(`Another process already serves the admin socket ${socketPath}`, {
      code: 'ADMIN_SOCKET_IN_USE',
      actions: ['stop the other analytics server first'],
    });
  }
  try {
    unlinkSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(true)); // connected but slow: someone is there
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  stores: OpenedStores,
  maxBodyBytes: number,
  hooks: AdminSocketOptions & { onError: NonNullable<AdminSocketOptions['onError']> },
): Promise<void> {
  const url = request.url ?? '';
  const name = url.startsWith(OPERATIONS_PATH) ? decodeURIComponent(url.slice(OPERATIONS_PATH.length)) : '';
  try {
    if (request.method !== 'POST' || !name) {
      throw new UsageError(`The admin socket answers POST ${OPERATIONS_PATH}<operation> only`, { code: 'BAD_REQUEST' });
    }
    const body = await readBody(request, maxBodyBytes);
    let input: unknown;
    try {
      input = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
    } catch {
      throw new UsageError('The request body is not JSON', { code: 'INVALID_JSON' });
    }
    if (isAdminOperationName(name)) await hooks.beforeOperation?.(name);
    const result = await executeAdminOperation(stores, name, input, hooks.context);
    // Before answering: once the CLI returns, the server already acts on the change.
    try {
      hooks.afterOperation?.({ name, result } as CompletedAdminOperation);
    } catch (error) {
      hooks.onError(error, name);
    }
    send(response, 200, { result });
  } catch (error) {
    const known = toAnalyticsError(error);
    if (!known) hooks.onError(error, name);
    const json: ErrorJson = known
      ? known.toJSON()
      : { code: BUG_CODE, kind: 'user', message: error instanceof Error ? error.message : String(error), actions: [], exitCode: 1 };
    send(response, json.code === 'BODY_TOO_LARGE' ? 413 : httpStatusOf(json), { error: json });
  }
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new UsageError(`The request body is larger than ${maxBytes} bytes`, { code: 'BODY_TOO_LARGE' }));
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: AdminResponse<unknown>): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // One request per connection: the CLI sends one operation and exits.
    connection: 'close',
  });
  response.end(text);
}
