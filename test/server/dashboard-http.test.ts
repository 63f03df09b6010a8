import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/lib/accounts/users.js';
import { INVALID_LOGIN_MESSAGE } from '../../src/lib/dashboard/auth.js';
import { tempDir } from '../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';

const BASE_URL = 'https://stats.example.test';
const PASSWORD = 'correct horse battery';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  cookies: Record<string, string>;
  setCookies: string[];
}

/** A tiny client: fetch with manual redirects and a cookie jar, as a browser would keep it. */
class Client {
  readonly jar: Record<string, string> = {};
  constructor(
    readonly base: string,
    readonly ip: string,
  ) {}

  async request(method: string, pathname: string, options: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip, ...options.headers };
    const cookie = Object.entries(this.jar).map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    if (options.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(`${this.base}${pathname}`, {
      method,
      headers,
      body: options.form ? new URLSearchParams(options.form).toString() : undefined,
      redirect: 'manual',
    });
    const setCookies = res.headers.getSetCookie();
    const cookies: Record<string, string> = {};
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      cookies[name] = value;
      if (/Max-Age=0/.test(line)) delete this.jar[name];
      else this.jar[name] = value;
    }
    return { status: res.status, headers: res.headers, text: await res.text(), cookies, setCookies };
  }

  /** GET /login, then POST the form with its CSRF token, like the page does. */
  async login(email: string, password: string, extra: Record<string, string> = {}): Promise<Answer> {
    const page = await this.request('GET', '/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    return this.request('POST', '/login', { form: { _csrf: token, email, password, ...extra }, headers: { origin: this.base } });
  }
}

const errorOf = (html: string) => /data-testid="login-error">([^<]*)</.exec(html)?.[1];

describe('dashboard over HTTP: login, sessions, CSRF, rate limit, access', () => {
  let server: ServerProcess;
  let dataDir: string;
  let root: string;

  beforeAll(async () => {
    root = tempDir('analytics-dashboard-http-');
    dataDir = path.join(root, 'data');
    const ids = await prepareDataDir(dataDir, ['mine.example', 'theirs.example']);
    await withDataDir(dataDir, async (stores) => {
      const ada = await createUser(stores.postgres, { email: 'ada@example.com', name: 'Ada', password: PASSWORD, isAdmin: false });
      await stores.postgres.query(`INSERT INTO site_memberships (site_id, user_id, role) VALUES ($1, $2, 'owner')`, [ids['mine.example'], ada.id]);
    });
    server = await spawnServer({ DATA_DIR: dataDir, BASE_URL });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('sends the login form with a double-submit CSRF cookie and a strict CSP', async () => {
    const client = new Client(server.url, '192.0.2.10');
    const page = await client.request('GET', '/login');
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="login-form"');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const formToken = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    expect(formToken).toMatch(/^[\w-]{43}$/);
    expect(client.jar.analytics_login_csrf).toBe(formToken);
  });

  it('logs in and sets an HttpOnly, SameSite=Lax, Secure (BASE_URL is https) session cookie', async () => {
    const client = new Client(server.url, '192.0.2.11');
    const answer = await client.login('ADA@example.com', PASSWORD, { next: '/sites/mine.example' });
    expect(answer.status, answer.text).toBe(303);
    expect(answer.headers.get('location')).toBe('/sites/mine.example');
    const sessionCookie = answer.setCookies.find((c) => c.startsWith('analytics_session='));
    expect(sessionCookie).toMatch(/; HttpOnly/);
    expect(sessionCookie).toMatch(/; SameSite=Lax/);
    expect(sessionCookie).toMatch(/; Secure/);
    expect(client.jar.analytics_session).toMatch(/^[\w-]{43}$/);

    const shell = await client.request('GET', '/sites/mine.example');
    expect(shell.status).toBe(200);
    expect(shell.text).toMatch(/<meta name="csrf-token" content="[\w-]{43}">/);
    const sites = await client.request('GET', '/api/dashboard/sites');
    expect(sites.status).toBe(200);
    expect(JSON.parse(sites.text)).toEqual({ sites: [{ id: expect.any(Number), domain: 'mine.example', timezone: 'Etc/UTC', role: 'owner' }] });
  });

  it('refuses an open redirect after login', async () => {
    const client = new Client(server.url, '192.0.2.12');
    const answer = await client.login('ada@example.com', PASSWORD, { next: '//evil.example/phish' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/sites');
    const header = await new Client(server.url, '192.0.2.21').login('ada@example.com', PASSWORD, { next: '/sites\r\nSet-Cookie: x=1' });
    expect(header.status).toBe(303);
    expect(header.headers.get('location')).toBe('/sites');
  });

  it('answers a wrong password and an unknown email with the same message and status', async () => {
    const client = new Client(server.url, '192.0.2.13');
    const wrong = await client.login('ada@example.com', 'wrong password');
    const unknown = await client.login('nobody@example.com', PASSWORD);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(errorOf(wrong.text)).toBe(INVALID_LOGIN_MESSAGE);
    expect(errorOf(unknown.text)).toBe(INVALID_LOGIN_MESSAGE);
    expect(wrong.cookies.analytics_session).toBeUndefined();
    // The pages differ only in the echoed email and the fresh form token.
    const normalise = (html: string) => html.replace(/value="[^"]*"/g, 'value=""');
    expect(normalise(wrong.text)).toBe(normalise(unknown.text));
  });

  it('refuses a login without the CSRF token, with a wrong one, or from another origin (403)', async () => {
    const client = new Client(server.url, '192.0.2.14');
    await client.request('GET', '/login');
    const missing = await client.request('POST', '/login', { form: { email: 'ada@example.com', password: PASSWORD } });
    expect(missing.status).toBe(403);
    const forged = await client.request('POST', '/login', { form: { _csrf: 'x'.repeat(43), email: 'ada@example.com', password: PASSWORD } });
    expect(forged.status).toBe(403);
    const page = await client.request('GET', '/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const crossSite = await client.request('POST', '/login', {
      form: { _csrf: token, email: 'ada@example.com', password: PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect(client.jar.analytics_session).toBeUndefined();
  });

  it('refuses a logout without the session CSRF token (403) and logs out with it', async () => {
    const client = new Client(server.url, '192.0.2.15');
    expect((await client.login('ada@example.com', PASSWORD)).status).toBe(303);
    const shell = await client.request('GET', '/sites');
    const csrf = /<meta name="csrf-token" content="([\w-]+)">/.exec(shell.text)?.[1] ?? '';

    const missing = await client.request('POST', '/logout', { form: {} });
    expect(missing.status).toBe(403);
    const wrong = await client.request('POST', '/logout', { form: {}, headers: { 'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('x') ? 'y' : 'x'}` } });
    expect(wrong.status).toBe(403);
    expect((await client.request('GET', '/api/dashboard/sites')).status).toBe(200);

    const session = client.jar.analytics_session;
    const out = await client.request('POST', '/logout', { form: { _csrf: csrf }, headers: { origin: server.url } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect(client.jar.analytics_session).toBeUndefined();
    // The old cookie is dead on the server too.
    const replay = new Client(server.url, '192.0.2.15');
    replay.jar.analytics_session = session ?? '';
    expect((await replay.request('GET', '/api/dashboard/sites')).status).toBe(401);
  });

  it('rate-limits login attempts per address and email (429 with Retry-After), even with the right password', async () => {
    const client = new Client(server.url, '192.0.2.16');
    for (let i = 0; i < 5; i++) expect((await client.login('ada@example.com', `guess ${i}`)).status).toBe(401);
    const limited = await client.login('ada@example.com', PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorOf(limited.text)).toMatch(/Too many login attempts/);
    expect(limited.cookies.analytics_session).toBeUndefined();
    // Another address is not affected.
    expect((await new Client(server.url, '192.0.2.17').login('ada@example.com', PASSWORD)).status).toBe(303);
  });

  it('answers 401 to the dashboard API and redirects pages to the login without a session', async () => {
    const anonymous = new Client(server.url, '192.0.2.18');
    for (const pathname of ['/api/dashboard/sites', '/api/dashboard/sites/mine.example/aggregate?period=30d', '/api/dashboard/sites/mine.example/realtime/visitors']) {
      const answer = await anonymous.request('GET', pathname);
      expect(answer.status, pathname).toBe(401);
      expect(JSON.parse(answer.text)).toEqual({ error: expect.stringMatching(/log in/i) });
    }
    anonymous.jar.analytics_session = 'a'.repeat(43);
    expect((await anonymous.request('GET', '/api/dashboard/sites')).status).toBe(401);
    const page = await anonymous.request('GET', '/sites/mine.example?period=7d');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/sites/mine.example?period=7d')}`);
  });

  it('serves stats only for the user\'s own sites', async () => {
    const client = new Client(server.url, '192.0.2.19');
    expect((await client.login('ada@example.com', PASSWORD)).status).toBe(303);
    const mine = await client.request('GET', '/api/dashboard/sites/mine.example/aggregate?period=30d&metrics=visitors');
    expect(mine.status, mine.text).toBe(200);
    expect(JSON.parse(mine.text)).toEqual({ results: { visitors: { value: 0 } } });
    const theirs = await client.request('GET', '/api/dashboard/sites/theirs.example/aggregate?period=30d&metrics=visitors');
    expect(theirs.status).toBe(404);
    const missing = await client.request('GET', '/api/dashboard/sites/missing.example/aggregate?period=30d&metrics=visitors');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe(theirs.text);
    expect((await client.request('GET', '/sites/theirs.example')).status).toBe(404);
    const invalid = await client.request('GET', '/api/dashboard/sites/mine.example/aggregate?period=fortnight&metrics=visitors');
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.text)).toEqual({ error: expect.any(String) });
  });

  it('serves the client bundle with long-lived caching and gzip', async () => {
    const client = new Client(server.url, '192.0.2.20');
    expect((await client.login('ada@example.com', PASSWORD)).status).toBe(303);
    const shell = await client.request('GET', '/sites');
    const script = /<script type="module" src="([^"]+)"/.exec(shell.text)?.[1];
    const style = /<link rel="stylesheet" href="([^"]+)"/.exec(shell.text)?.[1];
    expect(script).toMatch(/^\/dashboard\/assets\/main-\w+\.js$/);
    expect(style).toMatch(/^\/dashboard\/assets\/main-\w+\.css$/);
    const js = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const again = await fetch(`${server.url}${script}`, { headers: { 'if-none-match': js.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    expect((await fetch(`${server.url}/dashboard/assets/nope.js`)).status).toBe(404);
  });
});
