/**
 * npm run bench:ingest — our POST /api/event (durability on: fsynced spool before 202) against a bare
 * node:http server that answers 202 to the same request, with the same load tool (autocannon), payload
 * and connection count in one run. Reports events/s, CPU µs per event, p50/p99 latency, peak RSS, and
 * p99 at half of our maximum rate, over BENCH_ROUNDS rounds (medians and ranges). Writes docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { prepareDataDir } from '../test/helpers/fixtures.js';
import { spawnServer } from '../test/helpers/server.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { pacedLoadInChild } from './paced-load.js';
import { writeBenchmarkSection } from './report.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * Diagnostics (results go to a section of their own, not over the figures above): what the p99 tail
 * and the throughput would be without the spool's disk (BENCH_SPOOL_DIR=/dev/shm/..., not durable)
 * and without any ClickHouse insert or merge during the runs (BENCH_NO_FLUSH=1: the spool keeps it all).
 */
const SPOOL_DIR = process.env.BENCH_SPOOL_DIR;
const NO_FLUSH = process.env.BENCH_NO_FLUSH === '1';
const DIAGNOSTIC = [SPOOL_DIR ? `spool on ${SPOOL_DIR}` : '', NO_FLUSH ? 'no flush' : ''].filter(Boolean).join(', ');
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const BODY = JSON.stringify({ n: 'pageview', u: 'https://bench.example/blog/post?utm_source=x', d: 'bench.example', r: 'https://www.google.com/', w: 1280 });

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(202, { 'content-type': 'text/plain' }); res.end('ok'); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 Hz)
  return ticks * 10_000;
}

function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:')) ?? '';
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024);
}

/** Nanoseconds the process's main thread spent running and runnable-but-waiting for a core. */
function mainThreadNs(pid: number): { running: number; waiting: number } {
  const [running, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { running: running ?? 0, waiting: waiting ?? 0 };
}

/** Machine-wide idle and total CPU time (clock ticks, all cores) from /proc/stat. */
function machineTicks(): { idle: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((sum, n) => sum + n, 0) };
}

/**
 * Where a run's time went: the share of wall time the server's main thread ran, and waited in the run
 * queue for a core (the rest it slept: nothing to do, or waiting for the disk), and the machine's idle
 * share. A closed-loop run with idle cores and a main thread that often sleeps is bound by latency
 * (each connection waits for its answer), not by CPU.
 */
function startUsage(pid: number): () => { mainRunning: number; mainWaiting: number; machineIdle: number } {
  const startedAt = process.hrtime.bigint();
  const thread = mainThreadNs(pid);
  const machine = machineTicks();
  return () => {
    const wallNs = Number(process.hrtime.bigint() - startedAt);
    const threadNow = mainThreadNs(pid);
    const machineNow = machineTicks();
    const percent = (part: number, whole: number) => Math.round((100 * part) / Math.max(whole, 1));
    return {
      mainRunning: percent(threadNow.running - thread.running, wallNs),
      mainWaiting: percent(threadNow.waiting - thread.waiting, wallNs),
      machineIdle: percent(machineNow.idle - machine.idle, machineNow.total - machine.total),
    };
  };
}

interface Measured {
  rps: number;
  cpuUsPerEvent: number;
  p50: number;
  p99: number;
  rssMiB: number;
  non2xx: number;
  /** % of wall time the server's main thread ran / waited for a core; % of the machine idle. */
  mainRunning: number;
  mainWaiting: number;
  machineIdle: number;
}

/** Closed loop at full speed: the maximum rate (autocannon). */
async function load(url: string, pid: number): Promise<Measured> {
  const cpuBefore = cpuMicros(pid);
  const usage = startUsage(pid);
  let ip = 0;
  const result = await autocannon({
    url: `${url}/api/event`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { 'content-type': 'text/plain', 'user-agent': UA },
    body: BODY,
    requests: [
      {
        // A different visitor per request, as a proxy in front would report them.
        setupRequest: (req: autocannon.Request) => {
          ip = (ip + 1) % 60_000;
          return { ...req, headers: { ...req.headers, 'x-forwarded-for': `100.64.${ip >> 8}.${ip & 255}` } };
        },
      },
    ],
  });
  const done = result.requests.total;
  return {
    ...usage(),
    rps: Math.round(result.requests.average),
    cpuUsPerEvent: Math.round((cpuMicros(pid) - cpuBefore) / Math.max(done, 1)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMiB: peakRssMiB(pid),
    non2xx: result.non2xx,
  };
}

/**
 * Open loop at a steady rate (bench/paced-load.ts, in a child process of its own): latency at a given
 * load. autocannon's own rate limit sends each second's quota in a burst, which measures its burst
 * queue instead.
 */
async function paced(url: string, pid: number, rate: number): Promise<Measured> {
  const cpuBefore = cpuMicros(pid);
  const usage = startUsage(pid);
  const result = await pacedLoadInChild({
    url: `${url}/api/event`,
    rate,
    durationS: DURATION_S,
    connections: CONNECTIONS,
    body: BODY,
    userAgent: UA,
    forwardedForPrefix: '100.65',
  });
  return {
    ...usage(),
    rps: result.rps,
    cpuUsPerEvent: Math.round((cpuMicros(pid) - cpuBefore) / Math.max(result.sent, 1)),
    p50: result.p50,
    p99: result.p99,
    rssMiB: peakRssMiB(pid),
    non2xx: result.non2xx + result.errors,
  };
}

async function startBare(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('node', ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, child };
}

const temp = await makeTempDir('analytics-bench-ingest-');
const dataDir = path.join(temp.path, 'data');
await prepareDataDir(dataDir, ['bench.example']);
const spoolTarget = SPOOL_DIR ? path.join(SPOOL_DIR, `analytics-bench-spool-${process.pid}`) : undefined;
if (spoolTarget) {
  rmSync(path.join(dataDir, 'spool'), { recursive: true, force: true });
  mkdirSync(spoolTarget, { recursive: true });
  symlinkSync(spoolTarget, path.join(dataDir, 'spool'));
}

const bare = await startBare();
const ours = await spawnServer({
  DATA_DIR: dataDir,
  TRUSTED_PROXIES: '127.0.0.1/32',
  ...(NO_FLUSH ? { CLICKHOUSE_FLUSH_INTERVAL_MS: '3600000', CLICKHOUSE_MAX_BUFFER_SIZE: '10000000' } : {}),
});
interface Round {
  bare: Measured;
  ours: Measured;
  halfRate: number;
  half: Measured;
  bareHalf: Measured;
}
const rounds: Round[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const bareMax = await load(bare.url, bare.child.pid!);
  const oursMax = await load(ours.url, ours.child.pid!);
  // Half of our maximum, offered at a steady rate to both servers: the bare one shows what the machine
  // and the load generator add to every latency on their own.
  const halfRate = Math.max(1, Math.round(oursMax.rps / 2));
  const half = await paced(ours.url, ours.child.pid!, halfRate);
  const bareHalf = await paced(bare.url, bare.child.pid!, halfRate);
  rounds.push({ bare: bareMax, ours: oursMax, halfRate, half, bareHalf });
  console.error(`round ${round}`, rounds.at(-1));
}
await ours.stop('SIGTERM');
await temp.remove();
if (spoolTarget) rmSync(spoolTarget, { recursive: true, force: true });
bare.child.kill();

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const medianOf = (pick: (round: Round) => Measured): Measured => {
  const all = rounds.map(pick);
  const field = (key: keyof Measured) => median(all.map((m) => m[key]));
  return {
    rps: Math.round(field('rps')),
    cpuUsPerEvent: Math.round(field('cpuUsPerEvent')),
    p50: field('p50'),
    p99: field('p99'),
    rssMiB: Math.max(...all.map((m) => m.rssMiB)),
    non2xx: all.reduce((sum, m) => sum + m.non2xx, 0),
    mainRunning: Math.round(field('mainRunning')),
    mainWaiting: Math.round(field('mainWaiting')),
    machineIdle: Math.round(field('machineIdle')),
  };
};
const range = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
const ratios = rounds.map((r) => r.ours.rps / r.bare.rps);
const halfP99s = rounds.map((r) => r.half.p99);
const halfRate = Math.round(median(rounds.map((r) => r.halfRate)));
const bareResult = medianOf((r) => r.bare);
const ourResult = medianOf((r) => r.ours);
const half = medianOf((r) => r.half);
const bareHalf = medianOf((r) => r.bareHalf);
const DIAGNOSTIC_NOTE = DIAGNOSTIC
  ? `**Diagnostic run, not the product's figures**: ${[
      SPOOL_DIR ? `the spool sits on ${SPOOL_DIR} (memory: no disk write behind the 202, not durable)` : '',
      NO_FLUSH ? 'nothing is flushed to ClickHouse during the runs (no insert, no merge; the spool keeps every event)' : '',
    ].filter(Boolean).join('; ')}. Everything else as in bench:ingest.\n`
  : '';
const row = (name: string, m: Measured) =>
  `| ${name} | ${m.rps.toLocaleString('en')} | ${m.cpuUsPerEvent} | ${m.p50} | ${m.p99} | ${m.rssMiB} | ${m.non2xx} | ${m.mainRunning} / ${m.mainWaiting} | ${m.machineIdle} |`;
writeBenchmarkSection(
  DIAGNOSTIC ? `bench:ingest diagnostic (${DIAGNOSTIC})` : 'bench:ingest',
  `Command: \`${[SPOOL_DIR ? `BENCH_SPOOL_DIR=${SPOOL_DIR}` : '', NO_FLUSH ? 'BENCH_NO_FLUSH=1' : ''].filter(Boolean).join(' ')}${DIAGNOSTIC ? ' ' : ''}npm run bench:ingest\` (\`BENCH_DURATION_S=${DURATION_S}\`, \`BENCH_CONNECTIONS=${CONNECTIONS}\`, \`BENCH_ROUNDS=${ROUNDS}\`), ${new Date().toISOString().slice(0, 10)}.
${DIAGNOSTIC_NOTE}The load runs in the benchmark process over ${CONNECTIONS} keep-alive connections, ${DURATION_S} s per run, the same
${Buffer.byteLength(BODY)}-byte Plausible payload with a different X-Forwarded-For per request. "ours" is
\`analytics start\` on embedded storage with durability on (each 202 after the spool's group-commit write reached
the disk, O_DSYNC); "bare" is node:http answering 202 without doing anything. CPU is the server process's
user+system time, all threads (chDB's included). Maximum rate: autocannon, closed loop. Half load: an open-loop
generator at a steady rate (bench/paced-load.ts, in a fresh process; latency from when each request was due), offered to both servers.
Each of ${ROUNDS} rounds runs all four back to back on the same two servers; the table gives medians over the rounds
(peak RSS: the highest; errors: the sum). "Main thread %" is the share of wall time the server's main
thread ran / waited in the run queue for a core (the rest it slept); "idle %" is the machine's idle share.

| server | events/s | CPU µs/event | p50 ms | p99 ms | peak RSS MiB | errors/non-2xx | main thread % run / wait | machine idle % |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${row('bare node:http (max)', bareResult)}
${row('ours (max)', ourResult)}
${row(`bare at half our max (~${halfRate.toLocaleString('en')}/s)`, bareHalf)}
${row(`ours at half load (~${halfRate.toLocaleString('en')}/s)`, half)}

Throughput ratio ours / bare: **${median(ratios).toFixed(2)}×** (rounds: ${range(ratios, 2)}; target ≥ 0.5×).
p99 at half load: **${median(halfP99s)} ms** (rounds: ${range(halfP99s, 1)}; target < 20 ms; the bare server's
p99 at the same rate: ${bareHalf.p99} ms).`,
);
