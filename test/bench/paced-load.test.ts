import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad, parseResponse } from '../../bench/paced-load.js';

// bench:ingest's half-load figures come from this generator, against real node:http servers here.

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/event`;
}

const load = (url: string, overrides: Partial<Parameters<typeof pacedLoad>[0]> = {}) =>
  pacedLoad({
    url,
    rate: 400,
    durationS: 1,
    warmupS: 0.2,
    connections: 8,
    body: '{"n":"pageview"}',
    headers: (sequence) => ({ 'content-type': 'text/plain', 'x-forwarded-for': `10.0.0.${sequence & 255}` }),
    ...overrides,
  });

describe('pacedLoad', () => {
  it('sends the requests at the rate, with the body and per-request headers, and measures them', async () => {
    const seen: { method?: string; url?: string; body: string; forwardedFor?: string }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, forwardedFor: req.headers['x-forwarded-for'] as string });
        res.writeHead(202, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    const result = await load(url);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    // One second measured at 400/s (the 0.2-s warm-up is sent but not counted).
    expect(result.completed).toBeGreaterThanOrEqual(396);
    expect(result.completed).toBeLessThanOrEqual(404);
    expect(seen.length).toBeGreaterThanOrEqual(475);
    // Several requests may leave in one timer tick on different connections: their order on arrival is not fixed.
    expect(seen).toContainEqual({ method: 'POST', url: '/api/event', body: '{"n":"pageview"}', forwardedFor: '10.0.0.0' });
    expect(new Set(seen.slice(0, 256).map((request) => request.forwardedFor)).size).toBeGreaterThan(240);
    expect(result.p50).toBeGreaterThan(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    expect(result.max).toBeGreaterThanOrEqual(result.p99);
  });

  it('counts latency from when a request was due, so a stalled server is not hidden', async () => {
    // Two connections, each answer after 50 ms: at most 40 answers/s against 100 due/s, so requests
    // queue for a free connection and their wait counts.
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(202).end(), 50));
    });
    const result = await load(url, { rate: 100, connections: 2, durationS: 1 });
    expect(result.errors).toBe(0);
    expect(result.p50).toBeGreaterThan(150);
    expect(result.max).toBeGreaterThan(500);
  });

  it('counts non-2xx answers, reads chunked bodies, and replaces connections the server closes', async () => {
    let requests = 0;
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        // Every third answer closes its connection; the others are chunked (no content-length).
        if (requests % 3 === 0) res.writeHead(400, { connection: 'close', 'content-type': 'application/json' }).end('{"error":"bad"}');
        else {
          res.writeHead(202);
          res.write('o');
          res.end('k');
        }
      });
    });
    const result = await load(url, { rate: 200 });
    expect(result.errors).toBe(0);
    expect(result.completed).toBeGreaterThanOrEqual(196);
    expect(result.non2xx).toBeGreaterThan(50);
    expect(result.non2xx).toBeLessThan(80);
  });

  it('counts requests that got no answer as errors', async () => {
    const url = await serve((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const result = await load(url, { rate: 100 });
    expect(result.completed).toBe(0);
    expect(result.errors).toBeGreaterThan(90);
  });
});

describe('parseResponse', () => {
  it('waits for the whole response and says where it ends', () => {
    const response = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nokHTTP/1.1');
    expect(parseResponse(response.subarray(0, 20))).toBeUndefined();
    expect(parseResponse(response.subarray(0, 45))).toBeUndefined();
    expect(parseResponse(response)).toEqual({ status: 202, length: 46, close: false });
  });

  it('reads chunked bodies to their last chunk and notices connection: close', () => {
    const head = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    expect(parseResponse(Buffer.from(`${head}2\r\nok\r\n`))).toBeUndefined();
    const whole = `${head}2\r\nok\r\n0\r\n\r\n`;
    expect(parseResponse(Buffer.from(whole))).toEqual({ status: 503, length: whole.length, close: true });
  });

  it('refuses what it cannot frame', () => {
    expect(() => parseResponse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP\/1.x response/);
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\nbody'))).toThrow(/neither content-length nor chunked/);
  });
});
