import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMetric } from '../../client/dashboard/format.js';
import { createUser } from '../../src/lib/accounts/users.js';
import { createApiKey } from '../../src/lib/api-keys/keys.js';
import { seedDemoSite } from '../../src/lib/seed/seed.js';
import { DESKTOP_CHROME_UA, launchChromium } from '../helpers/browser.js';
import { projectRoot, tempDir } from '../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';

const DOMAIN = 'demo.example';
const EMAIL = 'owner@example.com';
const PASSWORD = 'dashboard test password';
const SCREENSHOT = path.join(projectRoot, 'test-artifacts', 'dashboard.png');
const artifact = (name: string) => path.join(path.dirname(SCREENSHOT), name);
const TOP_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] as const;

type Aggregate = { results: Record<string, { value: number; change?: number | null }> };
type Rows = { results: Record<string, string | number | null>[] };

/** The Stats API as a third-party client calls it: /api/v1 with a Bearer key, not the dashboard's route. */
async function statsApi<T>(server: ServerProcess, key: string, endpoint: string, params: Record<string, string>): Promise<T> {
  const query = new URLSearchParams({ site_id: DOMAIN, ...params });
  const res = await fetch(`${server.url}/api/v1/stats/${endpoint}?${query}`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Waits until every panel of the page has answered for the given query. */
async function waitForQuery(page: Page, period: string, filters: string[]): Promise<void> {
  await page.waitForSelector(`[data-testid="dashboard"][data-state="ready"][data-query="period=${period}&filters=${filters.join(';')}"]`, { timeout: 30_000 });
}

interface PageNumbers {
  top: Record<string, { value: string; text: string; change: string }>;
  chartTotal: number;
  chartPoints: number;
  panels: Record<string, { name: string; visitors: number }[]>;
  /** The property each panel shows (its open tab). */
  properties: Record<string, string>;
  goals: { name: string; visitors: number; cr: string }[];
  errors: string[];
}

async function readPage(page: Page): Promise<PageNumbers> {
  return page.evaluate(() => {
    const q = (sel: string) => document.querySelector<HTMLElement>(`[data-testid="${sel}"]`);
    const top: Record<string, { value: string; text: string; change: string }> = {};
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-testid^="stat-"][data-value]'))) {
      const metric = el.dataset.testid?.replace(/^stat-/, '') ?? '';
      if (metric.startsWith('change-')) continue;
      top[metric] = {
        value: el.dataset.value ?? '',
        text: el.querySelector('.stat-value')?.textContent ?? '',
        change: q(`stat-change-${metric}`)?.dataset.value ?? '',
      };
    }
    const rows = (panel: string) =>
      Array.from(document.querySelectorAll<HTMLElement>(`[data-testid="panel-${panel}"] [data-testid="breakdown-row"]`)).map((r) => ({
        name: r.dataset.name ?? '',
        visitors: Number(r.dataset.value),
        cr: r.querySelector('[data-metric="conversion_rate"]')?.textContent ?? '',
      }));
    const chart = q('visitors-chart');
    return {
      top,
      chartTotal: Number(chart?.getAttribute('data-total')),
      chartPoints: Number(chart?.getAttribute('data-points')),
      panels: Object.fromEntries(['sources', 'pages', 'countries', 'devices'].map((p) => [p, rows(p).map(({ name, visitors }) => ({ name, visitors }))])),
      properties: Object.fromEntries(['sources', 'pages', 'countries', 'devices'].map((p) => [p, q(`panel-${p}`)?.dataset.property ?? ''])),
      goals: rows('goals'),
      errors: Array.from(document.querySelectorAll('[data-testid="panel-error"]')).map((e) => e.textContent ?? ''),
    };
  });
}

/** The page's numbers must equal what the Stats API answers for the same period and filters. */
async function expectPageMatchesApi(
  page: Page,
  server: ServerProcess,
  key: string,
  period: string,
  filters: string[],
  options: { requireData?: boolean } = {},
): Promise<PageNumbers> {
  const shown = await readPage(page);
  expect(shown.errors).toEqual([]);
  const base: Record<string, string> = { period, ...(filters.length ? { filters: filters.join(';') } : {}) };
  const interval = period === 'day' ? 'hour' : period === '6mo' || period === '12mo' ? 'month' : 'date';

  // Plausible refuses views_per_visit under a page filter; the page then shows a dash for it. Under a goal
  // filter the top row counts conversions instead of visits.
  const pageFiltered = filters.some((f) => f.startsWith('event:page'));
  const goalFiltered = filters.some((f) => f.startsWith('event:goal'));
  const metrics: string[] = goalFiltered ? ['visitors', 'events', 'conversion_rate'] : TOP_METRICS.filter((m) => !(pageFiltered && m === 'views_per_visit'));
  expect(Object.keys(shown.top).sort()).toEqual((goalFiltered ? metrics : [...TOP_METRICS]).sort());
  const aggregate = await statsApi<Aggregate>(server, key, 'aggregate', { ...base, metrics: metrics.join(','), compare: 'previous_period' });
  if (pageFiltered) expect(shown.top.views_per_visit).toEqual({ value: '', text: '—', change: '' });
  for (const metric of metrics) {
    const expected = aggregate.results[metric];
    expect(Number(shown.top[metric]?.value), metric).toBe(expected?.value);
    expect(shown.top[metric]?.text, metric).toBe(formatMetric(metric, expected?.value));
    expect(shown.top[metric]?.change, `${metric} change`).toBe(expected?.change === null || expected?.change === undefined ? '' : String(expected.change));
  }

  const series = await statsApi<{ results: { date: string; visitors: number }[] }>(server, key, 'timeseries', { ...base, metrics: 'visitors', interval });
  expect(shown.chartPoints).toBe(series.results.length);
  expect(shown.chartTotal).toBe(series.results.reduce((sum, p) => sum + p.visitors, 0));

  for (const panel of ['sources', 'pages', 'countries', 'devices']) {
    const property = shown.properties[panel] ?? '';
    expect(property, panel).toMatch(/^(visit|event):/);
    const keyName = property.split(':').pop() ?? '';
    const api = await statsApi<Rows>(server, key, 'breakdown', { ...base, property, metrics: 'visitors', limit: '9' });
    expect(shown.panels[panel], panel).toEqual(api.results.map((r) => ({ name: String(r[keyName]), visitors: Number(r.visitors) })));
  }
  const goals = await statsApi<Rows>(server, key, 'breakdown', { ...base, property: 'event:goal', metrics: 'visitors,events,conversion_rate', limit: '9' });
  expect(shown.goals).toEqual(
    goals.results.map((r) => ({ name: String(r.goal), visitors: Number(r.visitors), cr: formatMetric('conversion_rate', Number(r.conversion_rate)) })),
  );
  if (options.requireData !== false) expect(aggregate.results.visitors?.value, 'the query has data to compare').toBeGreaterThan(0);
  return shown;
}

describe('the dashboard in real Chromium', () => {
  let server: ServerProcess;
  let apiKey: string;
  let root: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    root = tempDir('analytics-dashboard-browser-');
    const dataDir = path.join(root, 'data');
    await prepareDataDir(dataDir, []);
    apiKey = await withDataDir(dataDir, async (stores) => {
      const seeded = await seedDemoSite(stores.postgres, stores.clickhouse, { domain: DOMAIN, events: 20_000, days: 60, seed: 42, replace: false });
      const user = await createUser(stores.postgres, { email: EMAIL, name: 'Owner', password: PASSWORD, isAdmin: false });
      await stores.postgres.query(`INSERT INTO site_memberships (site_id, user_id, role) VALUES ($1, $2, 'owner')`, [seeded.site.id, user.id]);
      await stores.postgres.query(
        `INSERT INTO goals (site_id, event_name, page_path, display_name) VALUES ($1, 'Signup', NULL, 'Signup'), ($1, NULL, '/pricing', 'Visit /pricing')`,
        [seeded.site.id],
      );
      return (await createApiKey(stores.postgres, { userId: user.id, name: 'browser test' })).key;
    });
    server = await spawnServer({ DATA_DIR: dataDir });
    cleanups.push(() => server.stop());
  });
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  });

  it('logs in, opens the seeded site, changes the period, filters by a source; the numbers match the Stats API', async () => {
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ userAgent: DESKTOP_CHROME_UA, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();

    // Not logged in: the site's page sends us to the login form.
    await page.goto(`${server.url}/sites/${DOMAIN}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: artifact('dashboard-login.png') });
    await page.fill('[data-testid="login-email"]', EMAIL);
    await page.fill('[data-testid="login-password"]', 'not the password');
    await page.click('[data-testid="login-submit"]');
    await expect.poll(() => page.textContent('[data-testid="login-error"]')).toBe('Wrong email or password.');
    await page.fill('[data-testid="login-password"]', PASSWORD);
    await Promise.all([page.waitForURL(`**/sites/${DOMAIN}`), page.click('[data-testid="login-submit"]')]);
    const cookie = (await context.cookies()).find((c) => c.name === 'analytics_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });

    // From here on the page must load without a single failed request or script error.
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    // The sites list, then the site.
    await page.click('[data-testid="back-to-sites"]');
    await page.waitForSelector('[data-testid="sites-page"][data-state="ready"]');
    await page.screenshot({ path: artifact('dashboard-sites.png') });
    expect(await page.$$eval('[data-testid="site-link"]', (links) => links.map((a) => a.getAttribute('data-domain')))).toEqual([DOMAIN]);
    const today = await statsApi<Aggregate>(server, apiKey, 'aggregate', { period: 'day', metrics: 'visitors' });
    expect(await page.getAttribute('[data-testid="site-visitors"]', 'data-value')).toBe(String(today.results.visitors?.value));
    await page.click(`[data-testid="site-link"][data-domain="${DOMAIN}"]`);
    await waitForQuery(page, '30d', []);
    await expectPageMatchesApi(page, server, apiKey, '30d', []);
    await page.screenshot({ path: artifact('dashboard-30d.png'), fullPage: true });
    const realtime = await page.getAttribute('[data-testid="realtime-visitors"]', 'data-value');
    expect(Number.isInteger(Number(realtime)) && realtime !== '').toBe(true);

    // Another period.
    await page.selectOption('[data-testid="period-select"]', '7d');
    await waitForQuery(page, '7d', []);
    expect(new URL(page.url()).searchParams.get('period')).toBe('7d');
    const unfiltered = await expectPageMatchesApi(page, server, apiKey, '7d', []);

    // Click a source: it becomes a filter chip and every panel answers for it.
    const source = unfiltered.panels.sources?.find((s) => s.name === 'Google') ?? unfiltered.panels.sources?.[0];
    expect(source).toBeDefined();
    await page.click(`[data-testid="panel-sources"] [data-testid="breakdown-row"][data-name="${source!.name}"] .row-label`);
    const filter = `visit:source==${source!.name}`;
    await waitForQuery(page, '7d', [filter]);
    expect(await page.$$eval('[data-testid="filter-chip"]', (chips) => chips.map((c) => c.getAttribute('data-filter')))).toEqual([filter]);
    const filtered = await expectPageMatchesApi(page, server, apiKey, '7d', [filter]);
    expect(filtered.panels.sources).toEqual([{ name: source!.name, visitors: source!.visitors }]);
    expect(Number(filtered.top.visitors?.value)).toBe(source!.visitors);
    expect(Number(filtered.top.visitors?.value)).toBeLessThan(Number(unfiltered.top.visitors?.value));

    // Tabs: entry pages and operating systems, still under the filter.
    await page.click('[data-testid="tab-pages-entry"]');
    await page.click('[data-testid="tab-devices-os"]');
    await page.waitForSelector('[data-testid="panel-pages"][data-property="visit:entry_page"] [data-testid="breakdown-row"]');
    await page.waitForSelector('[data-testid="panel-devices"][data-property="visit:os"] [data-testid="breakdown-row"]');
    await page.waitForSelector('[data-testid="dashboard"][data-state="ready"]');
    const entry = await statsApi<Rows>(server, apiKey, 'breakdown', { period: '7d', filters: filter, property: 'visit:entry_page', metrics: 'visitors', limit: '9' });
    const shownEntry = await page.$$eval('[data-testid="panel-pages"] [data-testid="breakdown-row"]', (rows) =>
      rows.map((r) => ({ name: r.getAttribute('data-name'), visitors: Number(r.getAttribute('data-value')) })),
    );
    expect(shownEntry).toEqual(entry.results.map((r) => ({ name: r.entry_page, visitors: r.visitors })));

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(30_000);

    // A second filter from another panel: a page, on top of the source.
    await page.click('[data-testid="tab-pages-top"]');
    await page.waitForSelector('[data-testid="panel-pages"][data-property="event:page"] [data-testid="breakdown-row"]');
    await page.waitForSelector('[data-testid="dashboard"][data-state="ready"]');
    const topPage = await page.getAttribute('[data-testid="panel-pages"] [data-testid="breakdown-row"]', 'data-name');
    await page.click(`[data-testid="panel-pages"] [data-testid="breakdown-row"][data-name="${topPage}"] .row-label`);
    const both = [filter, `event:page==${topPage}`];
    await waitForQuery(page, '7d', both);
    await expectPageMatchesApi(page, server, apiKey, '7d', both);

    // Removing the chips brings back the unfiltered numbers.
    await page.click('[data-testid="filter-remove"]');
    await waitForQuery(page, '7d', [both[1] as string]);
    await page.click('[data-testid="filter-remove"]');
    await waitForQuery(page, '7d', []);
    expect((await readPage(page)).top.visitors?.value).toBe(unfiltered.top.visitors?.value);

    // A goal is a filter too: the visitors who converted.
    await page.click('[data-testid="panel-goals"] [data-testid="breakdown-row"][data-name="Signup"] .row-label');
    await waitForQuery(page, '7d', ['event:goal==Signup']);
    const converted = await expectPageMatchesApi(page, server, apiKey, '7d', ['event:goal==Signup']);
    expect(Number(converted.top.visitors?.value)).toBe(unfiltered.goals.find((g) => g.name === 'Signup')?.visitors);
    await page.screenshot({ path: artifact('dashboard-goal.png'), fullPage: true });
    await page.click('[data-testid="filter-remove"]');
    await waitForQuery(page, '7d', []);

    // The other periods, with their own intervals (hours for today, months for 6 and 12 months).
    for (const period of ['day', 'month', '6mo', '12mo']) {
      await page.selectOption('[data-testid="period-select"]', period);
      await waitForQuery(page, period, []);
      await expectPageMatchesApi(page, server, apiKey, period, [], { requireData: period !== 'day' });
    }
    expect(consoleErrors).toEqual([]);

    // Logging out ends the session: the API answers 401 with the old cookie.
    await Promise.all([page.waitForURL('**/login'), page.click('[data-testid="logout"]')]);
    const status = await page.evaluate(async () => (await fetch('/api/dashboard/sites')).status);
    expect(status).toBe(401);
  });
});
