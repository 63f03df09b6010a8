/**
 * An open-loop load generator at a steady rate, for latency at a given load. autocannon's own rate limit
 * lets each connection send its per-second quota as fast as it can at the start of every second, so its
 * "half load" is really full-load bursts and its p99 measures the burst queue, not the server. Here
 * requests leave evenly spaced (checked every millisecond), over a fixed pool of keep-alive connections;
 * latency runs from the moment a request was due to its response, so a stalled server is not hidden by
 * the generator waiting for it (no coordinated omission).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
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

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(options.url);
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let non2xx = 0;
  let inFlight = 0;
  const start = performance.now();
  const measureFrom = start + (options.warmupS ?? 1) * 1000;
  const end = measureFrom + options.durationS * 1000;
  const interval = 1000 / options.rate;

  const fire = (due: number) => {
    const sequence = sent++;
    inFlight++;
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: options.method ?? 'POST',
        headers: { 'content-length': Buffer.byteLength(options.body), ...options.headers(sequence) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          if (due < measureFrom) return;
          if ((res.statusCode ?? 0) >= 300) non2xx++;
          latencies.push(performance.now() - due);
        });
      },
    );
    req.on('error', () => {
      inFlight--;
      if (due >= measureFrom) errors++;
    });
    req.end(options.body);
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Math.min(performance.now(), end);
      // Every request due by now leaves now, stamped with the time it was due.
      while (start + sent * interval <= now) fire(start + sent * interval);
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const drainDeadline = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 5));
  agent.destroy();

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
