/**
 * Just enough of SMTP to look at each layer on its own (greeting, EHLO, STARTTLS) — `mail test` uses it
 * to tell a refused connection from a TLS mismatch from a bad password, which one opaque send cannot.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface SmtpReply {
  code: number;
  /** The full reply as the server sent it (all lines). */
  text: string;
}

export class SmtpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** Resolves with the next complete reply (`250-a`, `250-b`, `250 c` is one reply). */
export function readReply(socket: Socket, timeoutMs: number): Promise<SmtpReply> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const done = (error?: Error, reply?: SmtpReply) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.pause();
      if (error) reject(error);
      else resolve(reply as SmtpReply);
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split(/\r?\n/);
      const complete = lines.slice(0, -1);
      const last = complete.at(-1);
      if (last && /^\d{3}(?: |$)/.test(last)) {
        done(undefined, { code: Number(last.slice(0, 3)), text: complete.join('\n') });
      } else if (buffer.length > 64 * 1024) {
        done(new Error(`not an SMTP reply: ${JSON.stringify(buffer.slice(0, 80))}`));
      }
    };
    const onError = (error: Error) => done(error);
    const onClose = () => done(new Error(buffer ? `connection closed after: ${buffer.trim()}` : 'the server closed the connection'));
    const timer = setTimeout(() => done(new SmtpTimeoutError(`no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.resume();
  });
}

export async function command(socket: Socket, line: string, timeoutMs: number): Promise<SmtpReply> {
  const reply = readReply(socket, timeoutMs);
  socket.write(`${line}\r\n`);
  return reply;
}

export function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.pause();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SmtpTimeoutError(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A TLS handshake over an open socket (STARTTLS) or a new connection (implicit TLS). */
export function startTls(
  target: { socket: Socket } | { host: string; port: number },
  servername: string,
  options: ConnectionOptions,
  timeoutMs: number,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ ...target, servername: isIpAddress(servername) ? undefined : servername, ...options });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SmtpTimeoutError(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.pause();
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Says goodbye politely, but never waits long for it. */
export async function quit(socket: Socket, timeoutMs = 1_000): Promise<void> {
  await command(socket, 'QUIT', timeoutMs).catch(() => undefined);
  socket.destroy();
}
