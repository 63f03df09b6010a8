/**
 * The Stats API over HTTP on a running `analytics start`: Bearer keys, site access, the per-key rate
 * limit, Plausible's error bodies, and numbers equal to those computed from the raw events.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/lib/accounts/users.js';
import { createApiKey } from '../../src/lib/api-keys/keys.js';
import { addGoal } from '../../src/lib/goals/goals.js';
import { tempDir } from '../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';
import { buildDataset, insertDataset, type Dataset } from '../lib/stats/fixtures/dataset.js';
import { expectedAggregate, selectVisits, sortRows, visitsOf, windowOf, type Visit } from '../lib/stats/fixtures/reference.js';

const PASSWORD = 'correct horse battery staple';

describe('GET /api/v1/stats/* (analytics start, embedded stores)', () => {
  let server: ServerProcess;
  let data: Dataset;
  let visits: Visit[];
  const keys: Record<'admin' | 'member' | 'stranger' | 'limited' | 'revoked', string> = {
    admin: '',
    member: '',
    stranger: '',
    limited: '',
    revoked: '',
  };
  const get = (endpoint: string, params: string, key?: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/v1/stats/${endpoint}?${params}`, {
      headers: { ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}), ...headers },
    });
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as unknown });

  beforeAll(async () => {
    const dataDir = path.join(tempDir('analytics-stats-api-'), 'data');
    const sites = await prepareDataDir(dataDir, ['stats.test', 'other.test']);
    data = buildDataset({ siteId: sites['stats.test'] as number, otherSiteId: sites['other.test'] as number });
    visits = visitsOf(data.events);
    await withDataDir(dataDir, async (stores) => {
      const db = stores.postgres;
      await db.query("UPDATE sites SET timezone = 'Europe/Berlin' WHERE domain = 'stats.test'");
      await insertDataset(stores.clickhouse, data);
      await addGoal(db, { domain: 'stats.test', event: 'Signup' });
      const admin = await createUser(db, { email: 'admin@stats.test', name: 'Admin', password: PASSWORD, isAdmin: true });
      const member = await createUser(db, { email: 'member@stats.test', name: 'Member', password: PASSWORD, isAdmin: false });
      const stranger = await createUser(db, { email: 'stranger@stats.test', name: 'Stranger', password: PASSWORD, isAdmin: false });
      await db.query("INSERT INTO site_memberships (site_id, user_id, role) VALUES ($1, $2, 'viewer')", [sites['stats.test'], member.id]);
      keys.admin = (await createApiKey(db, { userId: admin.id, name: 'admin' })).key;
      keys.member = (await createApiKey(db, { userId: member.id, name: 'member' })).key;
      keys.stranger = (await createApiKey(db, { userId: stranger.id, name: 'stranger' })).key;
      keys.limited = (await createApiKey(db, { userId: admin.id, name: 'limited', rateLimitPerHour: 3 })).key;
      const revoked = await createApiKey(db, { userId: admin.id, name: 'revoked' });
      await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [revoked.apiKey.id]);
      keys.revoked = revoked.key;
    });
    server = await spawnServer({ DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
  });

  const PERIOD = 'period=custom&date=2026-03-01,2026-03-30';
  const window = () => windowOf('2026-03-01', '2026-03-30', 'Europe/Berlin');

  it('aggregate with a member key: the numbers of the raw events, in the site time zone', async () => {
    const res = await get('aggregate', `site_id=stats.test&${PERIOD}&metrics=visitors,visits,pageviews,bounce_rate,visit_duration,events`, keys.member);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('x-ratelimit-limit')).toBe('600');
    const e = expectedAggregate(data.events, visits, data.siteId, window());
    expect(await res.json()).toEqual({
      results: {
        visitors: { value: e.visitors },
        visits: { value: e.visits },
        pageviews: { value: e.pageviews },
        bounce_rate: { value: e.bounce_rate },
        visit_duration: { value: e.visit_duration },
        events: { value: e.events },
      },
    });
  });

  it('timeseries, breakdown and realtime with an admin key (admins see every site)', async () => {
    const series = (await (await get('timeseries', `site_id=stats.test&${PERIOD}&metrics=pageviews`, keys.admin)).json()) as {
      results: { date: string; pageviews: number }[];
    };
    expect(series.results.length).toBe(30);
    expect(series.results.reduce((n, r) => n + r.pageviews, 0)).toBe(expectedAggregate(data.events, visits, data.siteId, window()).pageviews);

    // Visit properties are counted on the visits active in the period (Plausible's v1 breakdowns).
    const active = selectVisits(visits, data.siteId, window(), {});
    const groups = new Map<string, Visit[]>();
    for (const v of active) groups.set(v.attrs.country, [...(groups.get(v.attrs.country) ?? []), v]);
    groups.delete('');
    const expected = sortRows([...groups].map(([country, vs]) => ({ country, visitors: new Set(vs.map((v) => v.userId)).size })), 'country', 'visitors');
    expect(await json(await get('breakdown', `site_id=stats.test&${PERIOD}&property=visit:country`, keys.admin))).toEqual({
      status: 200,
      body: { results: expected },
    });
    const goals = await json(await get('breakdown', `site_id=stats.test&${PERIOD}&property=event:goal&metrics=visitors,conversion_rate`, keys.admin));
    expect(goals.status).toBe(200);
    expect((goals.body as { results: { goal: string }[] }).results.map((r) => r.goal)).toEqual(['Signup']);

    const realtime = await get('realtime/visitors', 'site_id=other.test', keys.admin);
    expect(realtime.status).toBe(200);
    // Nothing of the dataset is in the last 5 minutes of the real clock.
    expect(await realtime.json()).toBe(0);
  });

  it('refuses missing, malformed, unknown and revoked keys (401) with Plausible\'s messages', async () => {
    const missing = {
      status: 401,
      body: { error: 'Missing API key. Please use a valid Plausible API key as a Bearer Token.' },
    };
    expect(await json(await get('aggregate', 'site_id=stats.test'))).toEqual(missing);
    expect(await json(await get('aggregate', 'site_id=stats.test', undefined, { authorization: `Basic ${keys.admin}` }))).toEqual(missing);
    const invalid = {
      status: 401,
      body: {
        error: "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.",
      },
    };
    expect(await json(await get('aggregate', 'site_id=stats.test', 'anl_nope'))).toEqual(invalid);
    expect(await json(await get('aggregate', 'site_id=stats.test', `anl_${'A'.repeat(43)}`))).toEqual(invalid);
    expect(await json(await get('aggregate', 'site_id=stats.test', keys.revoked))).toEqual(invalid);
    // A valid key whose owner may not see the site.
    expect(await json(await get('aggregate', 'site_id=stats.test', keys.stranger))).toEqual(invalid);
    expect(await json(await get('breakdown', 'site_id=other.test&property=visit:source', keys.member))).toEqual(invalid);
  });

  it('400 without site_id, 404 for a site that does not exist', async () => {
    expect(await json(await get('aggregate', 'period=day', keys.admin))).toEqual({
      status: 400,
      body: { error: 'Missing site ID. Please provide the required site_id parameter with your request.' },
    });
    expect(await json(await get('aggregate', 'site_id=nowhere.test', keys.admin))).toEqual({ status: 404, body: { error: 'Site could not be found' } });
    expect(await json(await get('aggregate', 'site_id=%20not%20a%20domain', keys.admin))).toMatchObject({ status: 404 });
  });

  it('400 with Plausible\'s message for bad parameters', async () => {
    const bad = async (endpoint: string, params: string) => json(await get(endpoint, `site_id=stats.test&${params}`, keys.admin));
    expect(await bad('aggregate', 'period=forever')).toEqual({
      status: 400,
      body: {
        error: 'Error parsing `period` parameter: invalid period `forever`. Please find accepted values in our docs: https://plausible.io/docs/stats-api#time-periods',
      },
    });
    expect(await bad('aggregate', 'metrics=visitors,bananas')).toEqual({
      status: 400,
      body: { error: 'The metric `bananas` is not recognized. Find valid metrics from the documentation: https://plausible.io/docs/stats-api#metrics' },
    });
    expect(await bad('breakdown', 'period=7d')).toEqual({
      status: 400,
      body: { error: 'The `property` parameter is required. Please provide at least one property to show a breakdown by.' },
    });
    expect(await bad('breakdown', 'property=visit:source&limit=5000')).toEqual({
      status: 400,
      body: { error: 'Please provide limit as a number between 1 and 1000.' },
    });
    expect(await bad('aggregate', 'filters=event:goal==Unknown')).toMatchObject({ status: 400, body: { error: expect.stringContaining('The goal `Unknown` is not configured') } });
    expect(await json(await fetch(`${server.url}/api/v1/stats/nothing?site_id=stats.test`, { headers: { authorization: `Bearer ${keys.admin}` } }))).toMatchObject({
      status: 404,
    });
  });

  it('429 once a key has used its hourly allowance, other keys unaffected', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await get('aggregate', `site_id=stats.test&${PERIOD}`, keys.limited);
      expect(res.status, `request ${i + 1}`).toBe(200);
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }
    const refused = await get('aggregate', `site_id=stats.test&${PERIOD}`, keys.limited);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({
      error: 'Too many API requests. Your API key is limited to 3 requests per hour. Please contact us to request more capacity.',
    });
    expect((await get('aggregate', `site_id=stats.test&${PERIOD}`, keys.admin)).status).toBe(200);
  });
});
