/**
 * An open-loop load generator at a steady rate, for latency at a given load. autocannon's own rate limit
 * lets each connection send its per-second quota as fast as it can at the start of every second, so its
 * "half load" is really full-load bursts and its p99 measures the burst queue, not the server. Here
 * requests leave evenly spaced (checked every millisecond), over a fixed pool of keep-alive connections
 * with one request in flight on each; latency runs from the moment a request was due to its response,
 * so a stalled server is not hidden by the generator waiting for it (no coordinated omission).
 *
 * HTTP/1.1 is spoken over plain sockets, not node:http: the generator shares the machine's cores with
 * the server, and node:http's client cost ~40 µs of CPU and a young-generation collection every
 * ~80 ms at 9,400 requests/s. When a flush keeps the cores busy, those stalls of the generator were
 * counted as server latency (docs/benchmarks.md, "bench:ingest").
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export interface PacedLoadOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  durationS: number;
  /** Seconds at the start (connections opening, JIT warming up) not counted. Default 1. */
  warmupS?: number;
  connections: number;
  method?: string;
  body: string;
  headers: (sequence: number) => Record<string, string>;
}

export interface PacedLoadResult {
  sent: number;
  completed: number;
  errors: number;
  non2xx: number;
  /** Achieved completions per second. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');

/** The parts of one HTTP/1.1 response the generator needs, or undefined while it is incomplete. */
export function parseResponse(data: Buffer): { status: number; length: number; close: boolean } | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  if (!head.startsWith('HTTP/1.') || !Number.isInteger(status)) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`);
  const close = /\r\nconnection:[ \t]*close/i.test(head);
  const contentLength = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (contentLength) {
    const length = headerEnd + 4 + Number(contentLength[1]);
    return data.length >= length ? { status, length, close } : undefined;
  }
  if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
    // Neither test server sends trailers: the body ends at the zero-length chunk.
    const last = data.indexOf(LAST_CHUNK, headerEnd + 2);
    return last < 0 ? undefined : { status, length: last + LAST_CHUNK.length, close };
  }
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { status, length: headerEnd + 4, close };
  throw new Error('a response with neither content-length nor chunked encoding: the generator cannot tell where it ends');
}

interface Connection {
  socket: net.Socket;
  /** When the request in flight was due; undefined when the connection is free. */
  due: number | undefined;
  received: Buffer | undefined;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const target = new URL(options.url);
  const port = Number(target.port || 80);
  const requestLine =
    `${options.method ?? 'POST'} ${target.pathname}${target.search} HTTP/1.1\r\n` +
    `host: ${target.host}\r\ncontent-length: ${Buffer.byteLength(options.body)}\r\n`;
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let non2xx = 0;
  let inFlight = 0;
  let stopped = false;
  const all = new Set<Connection>();
  const free: Connection[] = [];
  /** Due times of requests waiting for a free connection (all connections busy). */
  const backlog: number[] = [];
  const start = performance.now();
  const measureFrom = start + (options.warmupS ?? 1) * 1000;
  const end = measureFrom + options.durationS * 1000;
  const interval = 1000 / options.rate;

  const send = (connection: Connection, due: number) => {
    const sequence = sent++;
    inFlight++;
    connection.due = due;
    let request = requestLine;
    for (const [name, value] of Object.entries(options.headers(sequence))) request += `${name}: ${value}\r\n`;
    connection.socket.write(`${request}\r\n${options.body}`);
  };
  const finish = (connection: Connection, status: number | undefined) => {
    const due = connection.due!;
    connection.due = undefined;
    inFlight--;
    if (due >= measureFrom) {
      if (status === undefined) errors++;
      else {
        if (status >= 300) non2xx++;
        latencies.push(performance.now() - due);
      }
    }
  };
  const release = (connection: Connection) => {
    const due = backlog.shift();
    if (due === undefined) free.push(connection);
    else send(connection, due);
  };
  const connect = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const connection: Connection = { socket: net.connect({ host: target.hostname, port, noDelay: true }), due: undefined, received: undefined };
      const { socket } = connection;
      all.add(connection);
      socket.once('connect', () => {
        release(connection);
        resolve();
      });
      socket.on('data', (chunk: Buffer) => {
        connection.received = connection.received ? Buffer.concat([connection.received, chunk]) : chunk;
        let response;
        try {
          response = parseResponse(connection.received);
        } catch {
          socket.destroy();
          return;
        }
        if (!response || connection.due === undefined) return;
        connection.received = response.length < connection.received.length ? connection.received.subarray(response.length) : undefined;
        finish(connection, response.status);
        if (response.close) socket.destroy();
        else release(connection);
      });
      socket.on('error', (error) => reject(error));
      socket.on('close', () => {
        all.delete(connection);
        const index = free.indexOf(connection);
        if (index >= 0) free.splice(index, 1);
        if (connection.due !== undefined) finish(connection, undefined);
        // Replace a connection the server closed, as a keep-alive agent would.
        if (!stopped) setTimeout(() => connect().catch(() => undefined), 10);
      });
    });

  await Promise.all(Array.from({ length: options.connections }, connect));
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Math.min(performance.now(), end);
      // Every request due by now leaves now (or waits for a free connection), stamped with when it was due.
      for (let due = start + (sent + backlog.length) * interval; due <= now; due = start + (sent + backlog.length) * interval) {
        const connection = free.pop();
        if (connection) send(connection, due);
        else backlog.push(due);
      }
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const drainDeadline = performance.now() + 10_000;
  while ((inFlight > 0 || backlog.length > 0) && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 5));
  stopped = true;
  errors += backlog.filter((due) => due >= measureFrom).length;
  for (const connection of all) connection.socket.destroy();

  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10 : 0);
  return {
    sent: latencies.length + errors,
    completed: latencies.length,
    errors,
    non2xx,
    rps: Math.round(latencies.length / options.durationS),
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
  };
}

/** pacedLoad's options for a run in a child process: each request is a new visitor (X-Forwarded-For). */
export interface ChildPacedLoadOptions {
  url: string;
  rate: number;
  durationS: number;
  connections: number;
  body: string;
  userAgent: string;
  /** The first two octets of the visitors' addresses, e.g. '100.65'. */
  forwardedForPrefix: string;
}

/**
 * Runs pacedLoad in a fresh Node process. In the bench's own process the generator would share a heap
 * with what the earlier autocannon runs left behind, and a collection of that heap stalls the
 * generator: a stall that is counted as server latency.
 */
export function pacedLoadInChild(options: ChildPacedLoadOptions): Promise<PacedLoadResult> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(output) as PacedLoadResult);
      else reject(new Error(`the paced load generator exited with code ${code}`));
    });
  });
}

async function runAsChild(options: ChildPacedLoadOptions): Promise<void> {
  const [first, second] = options.forwardedForPrefix.split('.');
  const result = await pacedLoad({
    url: options.url,
    rate: options.rate,
    durationS: options.durationS,
    connections: options.connections,
    body: options.body,
    headers: (sequence) => ({
      'content-type': 'text/plain',
      'user-agent': options.userAgent,
      'x-forwarded-for': `${first}.${second}.${(sequence % 60_000) >> 8}.${sequence & 255}`,
    }),
  });
  process.stdout.write(JSON.stringify(result));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  await runAsChild(JSON.parse(process.argv[2]) as ChildPacedLoadOptions);
}
