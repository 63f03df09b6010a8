import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

interface StoredEvent {
  site_id: string;
  name: string;
  pathname: string;
  hostname: string;
  referrer_source: string;
  referrer: string;
  utm_source: string;
  country_code: string;
  browser: string;
  os: string;
  device: string;
  user_id: string;
  prop_keys: string[];
  prop_values: string[];
}

describe('analytics start: POST /api/event accepts what Plausible trackers send', () => {
  let dataDir: string;
  let server: ServerProcess;
  let sites: Record<string, number>;
  const post = (body: string | object, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': CHROME, 'x-forwarded-for': '8.8.8.8', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    dataDir = path.join(tempDir(), 'data');
    sites = await prepareDataDir(dataDir, ['shop.example', 'blog.example']);
    server = await spawnServer({ DATA_DIR: dataDir, CLICKHOUSE_FLUSH_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('stores every payload variant with country, browser, OS, source and visitor id, and refuses bad input', async () => {
    const accepted = [
      // Plausible's script: short names, text/plain JSON, referrer and width.
      { n: 'pageview', u: 'https://shop.example/pricing?utm_source=newsletter', d: 'shop.example', r: 'https://www.google.com/search?q=x', w: 1280 },
      // The npm library: long names, props as an object.
      { name: 'Signup', url: 'https://shop.example/signup', domain: 'shop.example', referrer: null, props: { plan: 'pro', seats: 3 } },
      // props as a JSON string, and `m` (meta) from older scripts.
      { n: 'Download', u: 'https://shop.example/files', d: 'shop.example', p: '{"file":"report.pdf"}' },
      // One event for two sites (a rollup), comma-separated.
      { n: 'pageview', u: 'https://blog.example/post', d: 'blog.example,shop.example', r: 'https://news.ycombinator.com/' },
    ];
    for (const body of accepted) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(202);
      expect(await res.text()).toBe('ok');
    }
    const iphone = await post({ n: 'pageview', u: 'https://blog.example/', d: 'blog.example' }, { 'user-agent': IPHONE, 'x-forwarded-for': '81.2.69.160' });
    expect(iphone.status).toBe(202);
    const json = await post({ n: 'pageview', u: 'https://blog.example/json', d: 'blog.example' }, { 'content-type': 'application/json' });
    expect(json.status).toBe(202);

    const refused: [string | object, number][] = [
      ['{not json', 400],
      [{ n: 'pageview', d: 'shop.example' }, 400], // no URL
      [{ n: 'pageview', u: 'javascript:alert(1)', d: 'shop.example' }, 400],
      [{ n: 42, u: 'https://shop.example/', d: 'shop.example' }, 400],
      [JSON.stringify({ n: 'pageview', u: 'https://shop.example/', d: 'shop.example', p: { big: 'x'.repeat(70_000) } }), 413],
    ];
    for (const [body, status] of refused) {
      const res = await post(body);
      expect(res.status, String(body).slice(0, 80)).toBe(status);
      const reason = (await res.json()) as { errors: Record<string, string[]> };
      expect(Object.keys(reason.errors).length).toBeGreaterThan(0);
    }
    // Dropped but answered 202 (as Plausible does): unknown site, bots, no user agent.
    for (const [body, headers] of [
      [{ n: 'pageview', u: 'https://unknown.example/', d: 'unknown.example' }, {}],
      [{ n: 'pageview', u: 'https://shop.example/', d: 'shop.example' }, { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' }],
      [{ n: 'pageview', u: 'https://shop.example/', d: 'shop.example' }, { 'user-agent': '' }],
    ] as [object, Record<string, string>][]) {
      expect((await post(body, headers)).status).toBe(202);
    }

    const health = (await (await fetch(`${server.url}/api/health`)).json()) as {
      status: string;
      ingest: { counters: { accepted: number; dropped: Record<string, number> } };
    };
    expect(health.status).toBe('ok');
    expect(health.ingest.counters.dropped).toMatchObject({ unknown_site: 1, bot: 2, invalid: 4, payload_too_large: 1 });

    // SIGTERM: stop accepting, flush the spool into ClickHouse, exit 0.
    expect(await server.stop('SIGTERM')).toBe(0);
    const events = await withDataDir(dataDir, (stores) =>
      stores.clickhouse.query<StoredEvent>('SELECT * FROM events ORDER BY timestamp, site_id, name'),
    );
    expect(events.map((e) => `${e.hostname}${e.pathname} ${e.name}`).sort()).toEqual([
      'blog.example/ pageview',
      'blog.example/json pageview',
      'blog.example/post pageview', // the rollup: once for blog.example ...
      'blog.example/post pageview', // ... and once for shop.example
      'shop.example/files Download',
      'shop.example/pricing pageview',
      'shop.example/signup Signup',
    ]);
    const shop = events.filter((e) => Number(e.site_id) === sites['shop.example']);
    const blog = events.filter((e) => Number(e.site_id) === sites['blog.example']);
    expect(shop.map((e) => e.name).sort()).toEqual(['Download', 'Signup', 'pageview', 'pageview']);
    expect(blog).toHaveLength(3);
    const pricing = shop.find((e) => e.pathname === '/pricing');
    expect(pricing).toMatchObject({
      // As in Plausible, utm_source/source/ref in the URL wins over the referrer's host.
      referrer_source: 'newsletter',
      referrer: 'google.com/search',
      utm_source: 'newsletter',
      country_code: 'US',
      browser: 'Chrome',
      os: 'Windows',
      device: 'Desktop',
    });
    expect(BigInt(pricing?.user_id ?? '0')).toBeGreaterThan(0n);
    expect(shop.find((e) => e.name === 'Signup')).toMatchObject({ prop_keys: ['plan', 'seats'], prop_values: ['pro', '3'] });
    expect(shop.find((e) => e.name === 'Download')).toMatchObject({ prop_keys: ['file'], prop_values: ['report.pdf'] });
    expect(blog.find((e) => e.pathname === '/post')).toMatchObject({ referrer_source: 'Hacker News' });
    expect(blog.find((e) => e.os === 'iOS')).toMatchObject({ device: 'Mobile', browser: 'Safari', country_code: 'GB' });
    // The same visitor on two sites has two unrelated ids; the IP is stored nowhere.
    const rollup = events.filter((e) => e.pathname === '/post');
    expect(new Set(rollup.map((e) => e.user_id)).size).toBe(2);
    expect(JSON.stringify(events)).not.toContain('8.8.8.8');

    const sessions = await withDataDir(dataDir, (stores) =>
      stores.clickhouse.query<{ n: string; pageviews: string }>('SELECT count() AS n, sum(pageviews) AS pageviews FROM sessions FINAL'),
    );
    expect(Number(sessions[0]?.pageviews)).toBe(events.filter((e) => e.name === 'pageview').length);
  });
});
