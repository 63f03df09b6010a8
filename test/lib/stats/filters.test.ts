import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStatsFixture, TIMEZONE, type StatsFixture } from './fixtures/setup.js';
import { eventNumbers, expectedAggregate, glob, selectEvents, windowOf, type Criteria } from './fixtures/reference.js';

type Aggregate = { results: Record<string, { value: number }> };

const VISIT_METRICS = ['visitors', 'pageviews', 'events', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit'];
const PAGE_METRICS = ['visitors', 'pageviews', 'events', 'visits', 'bounce_rate', 'visit_duration'];
const EVENT_METRICS = ['visitors', 'pageviews', 'events'];

interface Case extends Criteria {
  filters: string;
  metrics: string[];
}

const page = (pattern: RegExp): Partial<Case> => ({
  event: (e) => pattern.test(e.pathname),
  bounceEntry: (p) => pattern.test(p),
});

const CASES: Case[] = [
  { filters: 'visit:source==Google', metrics: VISIT_METRICS, visit: (a) => a.source === 'Google' },
  { filters: 'visit:source!=Google', metrics: VISIT_METRICS, visit: (a) => a.source !== 'Google' },
  { filters: 'visit:source==Google|Twitter', metrics: VISIT_METRICS, visit: (a) => ['Google', 'Twitter'].includes(a.source) },
  { filters: 'visit:source==Direct / None', metrics: VISIT_METRICS, visit: (a) => a.source === '' },
  { filters: 'visit:source==Hacker*', metrics: VISIT_METRICS, visit: (a) => a.source.startsWith('Hacker') },
  { filters: 'visit:referrer==www.google.de', metrics: VISIT_METRICS, visit: (a) => a.referrer === 'www.google.de' },
  { filters: 'visit:utm_source==newsletter', metrics: VISIT_METRICS, visit: (a) => a.utmSource === 'newsletter' },
  { filters: 'visit:utm_medium!=email', metrics: VISIT_METRICS, visit: (a) => a.utmMedium !== 'email' },
  { filters: 'visit:utm_campaign==launch\\|v2', metrics: VISIT_METRICS, visit: (a) => a.utmCampaign === 'launch|v2' },
  { filters: 'visit:utm_content==header', metrics: VISIT_METRICS, visit: (a) => a.utmContent === 'header' },
  { filters: 'visit:utm_term==(not set)', metrics: VISIT_METRICS, visit: (a) => a.utmTerm === '' },
  { filters: 'visit:country==DE|FR', metrics: VISIT_METRICS, visit: (a) => ['DE', 'FR'].includes(a.country) },
  { filters: 'visit:country!=US', metrics: VISIT_METRICS, visit: (a) => a.country !== 'US' },
  { filters: 'visit:device==(not set)', metrics: VISIT_METRICS, visit: (a) => a.device === '' },
  { filters: 'visit:device==Mobile;visit:os==iOS', metrics: VISIT_METRICS, visit: (a) => a.device === 'Mobile' && a.os === 'iOS' },
  { filters: 'visit:browser!=Chrome', metrics: VISIT_METRICS, visit: (a) => a.browser !== 'Chrome' },
  { filters: 'visit:browser_version==18.1', metrics: VISIT_METRICS, visit: (a) => a.browserVersion === '18.1' },
  { filters: 'visit:os_version==14', metrics: VISIT_METRICS, visit: (a) => a.osVersion === '14' },
  { filters: 'event:page==/blog', metrics: PAGE_METRICS, ...page(/^\/blog$/) },
  { filters: 'event:page==/blog/*', metrics: PAGE_METRICS, ...page(/^\/blog\/[^/]*$/) },
  { filters: 'event:page==/blog**', metrics: PAGE_METRICS, ...page(/^\/blog.*$/) },
  { filters: 'event:page==/about(us)', metrics: PAGE_METRICS, ...page(/^\/about\(us\)$/) },
  { filters: 'event:page==/|/pricing', metrics: PAGE_METRICS, ...page(/^(\/|\/pricing)$/) },
  { filters: 'event:page==/docs/*|/blog/*/comments', metrics: PAGE_METRICS, ...page(/^(\/docs\/[^/]*|\/blog\/[^/]*\/comments)$/) },
  { filters: 'event:page!=/blog**', metrics: PAGE_METRICS, event: (e) => !/^\/blog/.test(e.pathname), bounceEntry: (p) => !/^\/blog/.test(p) },
  { filters: 'event:page!=/', metrics: PAGE_METRICS, event: (e) => e.pathname !== '/', bounceEntry: (p) => p !== '/' },
  { filters: 'event:hostname==stats.test', metrics: EVENT_METRICS, event: () => true },
  { filters: 'event:name==Signup', metrics: EVENT_METRICS, event: (e) => e.name === 'Signup' },
  { filters: 'event:name!=pageview', metrics: EVENT_METRICS, event: (e) => e.name !== 'pageview' },
  { filters: 'event:name==Outbound*', metrics: EVENT_METRICS, event: (e) => e.name.startsWith('Outbound') },
  { filters: 'event:props:plan==pro', metrics: EVENT_METRICS, event: (e) => e.props.plan === 'pro' },
  { filters: 'event:props:plan==(none)', metrics: EVENT_METRICS, event: (e) => !('plan' in e.props) },
  { filters: 'event:props:plan!=free', metrics: EVENT_METRICS, event: (e) => e.props.plan !== 'free' },
  { filters: 'event:props:plan==pro|free', metrics: EVENT_METRICS, event: (e) => ['pro', 'free'].includes(e.props.plan ?? '') },
  { filters: 'event:props:file==*.pdf', metrics: EVENT_METRICS, event: (e) => glob('*.pdf').test(e.props.file ?? '\0') && 'file' in e.props },
  { filters: 'visit:entry_page==/pricing', metrics: VISIT_METRICS, session: (v) => v.entryPage === '/pricing' },
  { filters: 'visit:entry_page!=/', metrics: VISIT_METRICS, session: (v) => v.entryPage !== '/' },
  { filters: 'visit:exit_page==/blog**', metrics: VISIT_METRICS, session: (v) => /^\/blog/.test(v.exitPage) },
  { filters: 'visit:exit_page==/docs/api|/about(us)', metrics: VISIT_METRICS, session: (v) => ['/docs/api', '/about(us)'].includes(v.exitPage) },
  {
    filters: 'visit:source==Google;event:page==/blog**;visit:country!=US',
    metrics: PAGE_METRICS,
    visit: (a) => a.source === 'Google' && a.country !== 'US',
    ...page(/^\/blog/),
  },
  {
    filters: 'visit:device==Desktop;visit:exit_page==/;event:page==/pricing',
    metrics: PAGE_METRICS,
    visit: (a) => a.device === 'Desktop',
    session: (v) => v.exitPage === '/',
    ...page(/^\/pricing$/),
  },
];

const GOALS: (Case & { goal: (e: { name: string; pathname: string }) => boolean })[] = [
  { filters: 'event:goal==Signup', metrics: EVENT_METRICS, goal: (e) => e.name === 'Signup' },
  { filters: 'event:goal==Visit /blog/**', metrics: EVENT_METRICS, goal: (e) => e.name === 'pageview' && /^\/blog\/.*$/.test(e.pathname) },
  {
    filters: 'event:goal==Signup|Visit /docs/*',
    metrics: EVENT_METRICS,
    goal: (e) => e.name === 'Signup' || (e.name === 'pageview' && /^\/docs\/[^/]*$/.test(e.pathname)),
  },
  { filters: 'event:goal==Never sent', metrics: EVENT_METRICS, goal: () => false },
];

describe('filters (chDB, numbers computed from the raw events)', () => {
  let fx: StatsFixture;
  beforeAll(async () => {
    fx = await openStatsFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });
  const values = (body: Aggregate) => Object.fromEntries(Object.entries(body.results).map(([k, v]) => [k, v.value]));

  for (const c of CASES) {
    it(`${c.filters}`, async () => {
      for (const [period, first, last] of [
        ['30d', '2026-02-28', '2026-03-30'],
        ['12mo', '2025-04-01', '2026-03-31'],
      ]) {
        const body = await fx.ok<Aggregate>('aggregate', `period=${period}&metrics=${c.metrics.join(',')}&filters=${encodeURIComponent(c.filters)}`);
        const all = expectedAggregate(fx.data.events, fx.visits, fx.site.id, windowOf(first as string, last as string, TIMEZONE), c);
        const unfiltered = expectedAggregate(fx.data.events, fx.visits, fx.site.id, windowOf(first as string, last as string, TIMEZONE));
        expect(all.visitors, 'the filter matches something').toBeGreaterThan(0);
        expect(all.events, 'the filter leaves something out').toBeLessThan(unfiltered.events + (c.filters.startsWith('event:hostname') ? 1 : 0));
        expect(values(body), period).toEqual(Object.fromEntries(c.metrics.map((m) => [m, all[m as keyof typeof all]])));
      }
    });
  }

  for (const g of GOALS) {
    it(`${g.filters} with conversion_rate`, async () => {
      const body = await fx.ok<Aggregate>('aggregate', `period=30d&metrics=visitors,events,conversion_rate&filters=${encodeURIComponent(g.filters)}`);
      const w = windowOf('2026-02-28', '2026-03-30', TIMEZONE);
      const byId = new Map(fx.visits.map((v) => [v.sessionId, v]));
      const converted = eventNumbers(selectEvents(fx.data.events, byId, fx.site.id, w, { event: g.goal }));
      const total = eventNumbers(selectEvents(fx.data.events, byId, fx.site.id, w, {})).visitors;
      expect(values(body)).toEqual({
        visitors: converted.visitors,
        events: converted.events,
        conversion_rate: total > 0 ? Math.round((converted.visitors / total) * 10000) / 100 : 0,
      });
    });
  }

  it('a goal filter combines with other filters; the conversion rate keeps them in its denominator', async () => {
    const body = await fx.ok<Aggregate>('aggregate', `period=12mo&metrics=visitors,conversion_rate&filters=${encodeURIComponent('event:goal==Signup;visit:source==Google')}`);
    const w = windowOf('2025-04-01', '2026-03-31', TIMEZONE);
    const byId = new Map(fx.visits.map((v) => [v.sessionId, v]));
    const google = (a: { source: string }) => a.source === 'Google';
    const converted = eventNumbers(selectEvents(fx.data.events, byId, fx.site.id, w, { visit: google, event: (e) => e.name === 'Signup' })).visitors;
    const total = eventNumbers(selectEvents(fx.data.events, byId, fx.site.id, w, { visit: google })).visitors;
    expect(converted).toBeGreaterThan(0);
    expect(values(body)).toEqual({ visitors: converted, conversion_rate: Math.round((converted / total) * 10000) / 100 });
  });

  it('ignores a trailing ; and blanks around names', async () => {
    const a = await fx.ok<Aggregate>('aggregate', `period=30d&filters=${encodeURIComponent(' visit:source == Google ;')}`);
    const b = await fx.ok<Aggregate>('aggregate', `period=30d&filters=${encodeURIComponent('visit:source==Google')}`);
    expect(a).toEqual(b);
  });

  it('rejects what it cannot read, with a reason', async () => {
    const bad = async (filters: string) => (await fx.query('aggregate', `filters=${encodeURIComponent(filters)}`)).body;
    expect(await bad('visit:nope==x')).toEqual({
      error: "Invalid filter property 'visit:nope'. Please provide a valid filter property: https://plausible.io/docs/stats-api#properties",
    });
    expect(await bad('visit:source=Google')).toMatchObject({ error: expect.stringContaining("Invalid filter expression 'visit:source=Google'") });
    expect(await bad('visit:country==Germany')).toMatchObject({ error: expect.stringContaining("Invalid country code 'Germany'") });
    expect(await bad('event:goal==Nope')).toEqual({
      error: 'The goal `Nope` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals',
    });
    expect(await bad('event:goal==Visit /nope')).toEqual({
      error:
        'The pageview goal for the pathname `/nope` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals',
    });
    // A quote or a backslash is a value like any other, never SQL.
    expect(await fx.ok<Aggregate>('aggregate', `filters=${encodeURIComponent("visit:source==x' OR 1=1 --")}`)).toEqual({ results: { visitors: { value: 0 } } });
    expect(await fx.ok<Aggregate>('aggregate', `filters=${encodeURIComponent('event:props:pl\\an\'==x')}`)).toEqual({ results: { visitors: { value: 0 } } });
  });
});
