/** Ports to listen on, DNS of BASE_URL, and the clock. */
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { execa } from 'execa';
import { errorText, notOk, ok, worstStatus, type CheckOutcome } from '../health/types.js';

export type PortState = 'free' | 'in-use' | 'denied';

/** Binding is the only reliable test: it sees every listener, in every network namespace view we have. */
export function probePort(port: number, host = '0.0.0.0'): Promise<{ state: PortState; code?: string }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve({ state: error.code === 'EACCES' || error.code === 'EPERM' ? 'denied' : 'in-use', code: error.code });
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve({ state: 'free' })));
  });
}

/** Who listens on a port, from `ss` when it is there (best effort: a name for the message). */
async function listenerOf(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await execa('ss', ['-Hltnp', `sport = :${port}`], { timeout: 2_000, reject: false });
    return /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout)?.slice(1, 3).join(' pid ') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The server's own port must be free (CRITICAL otherwise: it cannot start); 80 and 443 are needed only
 * by Caddy for automatic TLS (WARNING).
 */
export async function portsCheck(ports: number[], serverPort: number): Promise<CheckOutcome> {
  const results = await Promise.all(
    ports.map(async (port) => {
      const probe = await probePort(port);
      return { port, ...probe, ...(probe.state === 'in-use' ? { listener: await listenerOf(port) } : {}) };
    }),
  );
  const value = results
    .map((r) => `${r.port} ${r.state === 'free' ? 'free' : r.state === 'denied' ? 'needs root' : `in use${r.listener ? ` by ${r.listener}` : ''}`}`)
    .join(', ');
  const details = { ports: results };
  const problems = results.filter((r) => r.state !== 'free');
  if (problems.length === 0) return ok(value, details);
  const status = worstStatus(problems.map((r) => (r.port === serverPort && r.state === 'in-use' ? 'CRITICAL' : 'WARNING'))) as 'WARNING' | 'CRITICAL';
  const busy = problems.map((r) => r.port).join(', ');
  const message = problems.some((r) => r.state === 'denied')
    ? `Port(s) ${busy} cannot be bound by this account (ports below 1024 need root or CAP_NET_BIND_SERVICE)`
    : `Port(s) ${busy} are taken${problems.some((r) => r.port === serverPort) ? ` — ${serverPort} is the server's PORT` : ' — 80 and 443 are needed for automatic TLS (Caddy)'}`;
  const next = problems.some((r) => r.port === serverPort && r.state === 'in-use')
    ? `stop what listens on ${serverPort} (ss -ltnp 'sport = :${serverPort}'), or choose another PORT (analytics env generate)`
    : `stop what listens on ${busy} (ss -ltnp), or put analytics behind the existing web server (templates/proxy)`;
  return notOk(status, value, message, next, details);
}

function localAddresses(): Set<string> {
  const addresses = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) addresses.add(a.address);
  return addresses;
}

/** BASE_URL's host must resolve, and to this machine (unless a proxy or NAT sits in front). */
export async function dnsCheck(baseUrl: string | undefined): Promise<CheckOutcome> {
  if (!baseUrl) return notOk('WARNING', 'BASE_URL not set', 'BASE_URL is not set', 'analytics env generate   (sets BASE_URL)');
  let host: string;
  try {
    host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return notOk('CRITICAL', `invalid BASE_URL ${baseUrl}`, 'BASE_URL is not a URL', 'analytics env check');
  }
  let addresses: string[];
  try {
    addresses = (await Promise.race([
      lookup(host, { all: true }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref()),
    ])).map((a) => a.address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? errorText(error);
    return notOk('CRITICAL', `${host} does not resolve (${code})`, `The host of BASE_URL, ${host}, does not resolve`, `create an A/AAAA record for ${host} pointing at this host's public address`, { host, code });
  }
  const local = localAddresses();
  const here = addresses.filter((a) => local.has(a));
  const value = `${host} → ${addresses.join(', ')}`;
  const details = { host, addresses, local: here };
  if (here.length === 0) {
    return notOk('WARNING', value, `${host} resolves to ${addresses.join(', ')}, not to an address of this host (fine behind NAT, a load balancer or a CDN)`, `point the A/AAAA record of ${host} at this host, or ignore this behind NAT/a proxy`, details);
  }
  return ok(value, details);
}

/** Skew at which TLS, ACME and the daily salt rotation start to misbehave. */
export const CLOCK_WARNING_SKEW_MS = 10_000;
export const CLOCK_CRITICAL_SKEW_MS = 120_000;

/** The clock compared with an HTTP Date header (1 s resolution), or with NTP's verdict via timedatectl. */
export async function clockCheck(timeUrl: string | undefined): Promise<CheckOutcome> {
  if (timeUrl) return clockFromHttp(timeUrl);
  try {
    const { stdout, exitCode } = await execa('timedatectl', ['show', '--property=NTPSynchronized', '--value'], { timeout: 3_000, reject: false });
    const answer = String(stdout).trim();
    if (exitCode === 0 && (answer === 'yes' || answer === 'no')) {
      return answer === 'yes'
        ? ok('synchronised (timedatectl)', { source: 'timedatectl', synchronized: true })
        : notOk('WARNING', 'not synchronised (timedatectl)', 'The system clock is not synchronised with NTP', 'timedatectl set-ntp true', { source: 'timedatectl', synchronized: false });
    }
  } catch {
    // no timedatectl (containers, non-systemd hosts)
  }
  return notOk('UNKNOWN', 'skipped: no time source', 'No time source: timedatectl is not available and no --time-url was given', 'analytics doctor --check clock --time-url https://a-server-you-trust/');
}

async function clockFromHttp(timeUrl: string): Promise<CheckOutcome> {
  const before = Date.now();
  let response: Response;
  try {
    response = await fetch(timeUrl, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? errorText(error);
    return notOk('UNKNOWN', `skipped: ${timeUrl} unreachable (${code})`, `Could not reach ${timeUrl} to compare clocks`, 'analytics doctor --check clock --time-url URL   (a server reachable from here)', { source: timeUrl });
  }
  const after = Date.now();
  const header = response.headers.get('date');
  const remote = header ? Date.parse(header) : Number.NaN;
  if (Number.isNaN(remote)) {
    return notOk('UNKNOWN', `skipped: no Date header from ${timeUrl}`, `${timeUrl} sent no usable Date header`, 'analytics doctor --check clock --time-url URL   (another server)', { source: timeUrl });
  }
  // The header is truncated to the second: compare with the middle of the request, allow that second.
  const local = (before + after) / 2;
  const skewMs = Math.round(remote + 500 - local);
  const value = `${skewMs >= 0 ? 'behind' : 'ahead'} by ${(Math.abs(skewMs) / 1000).toFixed(1)} s (vs ${new URL(timeUrl).host})`;
  const details = { source: timeUrl, skewMs, remote: new Date(remote).toISOString() };
  const next = 'synchronise the clock: timedatectl set-ntp true (or install chrony)';
  if (Math.abs(skewMs) >= CLOCK_CRITICAL_SKEW_MS) return notOk('CRITICAL', value, `The clock is off by ${Math.round(Math.abs(skewMs) / 1000)} s`, next, details);
  if (Math.abs(skewMs) >= CLOCK_WARNING_SKEW_MS) return notOk('WARNING', value, `The clock is off by ${Math.round(Math.abs(skewMs) / 1000)} s`, next, details);
  return ok(value, details);
}
