import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawEvent, VisitAttrs } from './fixtures/dataset.js';
import { openStatsFixture, TIMEZONE, type StatsFixture } from './fixtures/setup.js';
import { eventNumbers, selectEvents, selectVisits, sortRows, visitNumbers, windowOf, type Visit, type Window } from './fixtures/reference.js';

type Row = Record<string, string | number>;
type Breakdown = { results: Row[] };

const W30 = () => windowOf('2026-02-28', '2026-03-30', TIMEZONE);

/** Groups rows of one kind by a key; undefined keys are left out (Plausible hides blank countries and UTM tags). */
function groupBy<T>(items: T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

const METRICS = ['visitors', 'pageviews', 'events', 'visits', 'bounce_rate', 'visit_duration'] as const;

interface VisitProperty {
  property: string;
  key: string;
  value: (a: VisitAttrs) => string | undefined;
}

const VISIT_PROPERTIES: VisitProperty[] = [
  { property: 'visit:source', key: 'source', value: (a) => a.source || 'Direct / None' },
  { property: 'visit:referrer', key: 'referrer', value: (a) => a.referrer || 'Direct / None' },
  { property: 'visit:utm_source', key: 'utm_source', value: (a) => a.utmSource || undefined },
  { property: 'visit:utm_medium', key: 'utm_medium', value: (a) => a.utmMedium || undefined },
  { property: 'visit:utm_campaign', key: 'utm_campaign', value: (a) => a.utmCampaign || undefined },
  { property: 'visit:utm_content', key: 'utm_content', value: (a) => a.utmContent || undefined },
  { property: 'visit:utm_term', key: 'utm_term', value: (a) => a.utmTerm || undefined },
  { property: 'visit:country', key: 'country', value: (a) => a.country || undefined },
  { property: 'visit:device', key: 'device', value: (a) => a.device || '(not set)' },
  { property: 'visit:browser', key: 'browser', value: (a) => a.browser || '(not set)' },
  { property: 'visit:browser_version', key: 'browser_version', value: (a) => a.browserVersion || '(not set)' },
  { property: 'visit:os', key: 'os', value: (a) => a.os || '(not set)' },
  { property: 'visit:os_version', key: 'os_version', value: (a) => a.osVersion || '(not set)' },
];

describe('breakdown (chDB, numbers computed from the raw events)', () => {
  let fx: StatsFixture;
  let events: RawEvent[];
  let visits: Visit[];
  let w: Window;
  beforeAll(async () => {
    fx = await openStatsFixture();
    w = W30();
    const byId = new Map(fx.visits.map((v) => [v.sessionId, v]));
    events = selectEvents(fx.data.events, byId, fx.site.id, w, {});
    visits = selectVisits(fx.visits, fx.site.id, w, {});
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  /** Visit numbers of a group of visits: Plausible's v1 visit breakdowns count on the visits. */
  const visitRow = (vs: Visit[]) => ({
    visitors: new Set(vs.map((v) => v.userId)).size,
    pageviews: vs.reduce((n, v) => n + v.pageviews, 0),
    events: vs.reduce((n, v) => n + v.events.length, 0),
    ...visitNumbers(vs),
  });

  for (const p of VISIT_PROPERTIES) {
    it(`${p.property}: every metric counted on the visits active in the period, rows of every value`, async () => {
      const body = await fx.ok<Breakdown>('breakdown', `period=30d&property=${p.property}&metrics=${METRICS.join(',')}`);
      const byVisit = groupBy(visits, (v) => p.value(v.attrs));
      const expected = sortRows([...byVisit].map(([k, vs]) => ({ [p.key]: k, ...visitRow(vs) })), p.key, 'visitors').map((row) =>
        Object.fromEntries([p.key, ...METRICS].map((m) => [m, row[m as keyof typeof row]])),
      );
      expect(expected.length, 'the property has values').toBeGreaterThan(0);
      expect(body.results).toEqual(expected);
    });
  }

  it('a visit property under an event filter counts the matching events', async () => {
    const body = await fx.ok<Breakdown>('breakdown', `period=30d&property=visit:os&metrics=pageviews,visitors,visits&filters=${encodeURIComponent('event:page==/docs/*')}`);
    const docs = (path: string) => /^\/docs\/[^/]*$/.test(path);
    const matching = events.filter((e) => docs(e.pathname));
    const docVisits = visits.filter((v) => v.events.some((e) => e.ts >= w.from && e.ts < w.to && docs(e.pathname)));
    const byVisit = groupBy(docVisits, (v) => v.attrs.os || '(not set)');
    const expected = sortRows(
      [...groupBy(matching, (e) => e.os || '(not set)')].map(([os, ev]) => ({ os, ...eventNumbers(ev), visits: byVisit.get(os)?.length ?? 0 })),
      'os',
      'pageviews',
    ).map(({ os, pageviews, visitors, visits: n }) => ({ os, pageviews, visitors, visits: n }));
    expect(body.results).toEqual(expected);
  });

  it('event:page: visitors, pageviews and events per page; visits, bounce rate and duration of the visits entering there', async () => {
    const body = await fx.ok<Breakdown>('breakdown', `period=30d&property=event:page&metrics=${METRICS.join(',')}`);
    const byPage = groupBy(events, (e) => e.pathname);
    const byEntry = groupBy(visits, (v) => v.entryPage || undefined);
    const expected = sortRows(
      [...byPage].map(([page, ev]) => ({ page, ...eventNumbers(ev), ...visitNumbers(byEntry.get(page) ?? []) })),
      'page',
      'visitors',
    );
    expect(expected.length).toBe(9);
    expect(body.results).toEqual(expected.map((r) => Object.fromEntries(['page', ...METRICS].map((m) => [m, r[m as keyof typeof r]]))));
  });

  for (const [property, key, pageOf] of [
    ['visit:entry_page', 'entry_page', (v: Visit) => v.entryPage],
    ['visit:exit_page', 'exit_page', (v: Visit) => v.exitPage],
  ] as const) {
    it(`${property}: from each visit's final state`, async () => {
      const body = await fx.ok<Breakdown>('breakdown', `period=30d&property=${property}&metrics=${METRICS.join(',')}`);
      const groups = groupBy(visits, (v) => pageOf(v) || undefined);
      const expected = sortRows(
        [...groups].map(([page, vs]) => ({
          [key]: page,
          visitors: new Set(vs.map((v) => v.userId)).size,
          pageviews: vs.reduce((n, v) => n + v.pageviews, 0),
          events: vs.reduce((n, v) => n + v.events.length, 0),
          ...visitNumbers(vs),
        })),
        key,
        'visitors',
      );
      expect(body.results).toEqual(expected.map((r) => Object.fromEntries([key, ...METRICS].map((m) => [m, r[m as keyof typeof r]]))));
      // The table also holds superseded versions of these visits, with other exit pages.
      expect(fx.data.sessionRows.filter((r) => r.sign === -1 && r.exit_page !== '').length).toBeGreaterThan(0);
    });
  }

  it('event:name and event:props:* (events without the prop are "(none)")', async () => {
    const names = await fx.ok<Breakdown>('breakdown', 'period=30d&property=event:name&metrics=visitors,events');
    expect(names.results).toEqual(
      sortRows([...groupBy(events, (e) => e.name)].map(([name, ev]) => ({ name, visitors: eventNumbers(ev).visitors, events: ev.length })), 'name', 'visitors'),
    );
    const plans = await fx.ok<Breakdown>('breakdown', 'period=30d&property=event:props:plan&metrics=events,visitors');
    expect(plans.results).toEqual(
      sortRows(
        [...groupBy(events, (e) => e.props.plan ?? '(none)')].map(([plan, ev]) => ({ plan, events: ev.length, visitors: eventNumbers(ev).visitors })),
        'plan',
        'events',
      ),
    );
    const signups = await fx.ok<Breakdown>('breakdown', `period=30d&property=event:props:plan&filters=${encodeURIComponent('event:name==Signup')}`);
    expect(signups.results.map((r) => r.plan).sort()).toEqual(['free', 'pro']);
  });

  it('event:goal: visitors, events and conversion rate per goal, goals without completions left out', async () => {
    const body = await fx.ok<Breakdown>('breakdown', 'period=30d&property=event:goal&metrics=visitors,events,conversion_rate');
    const total = new Set(events.map((e) => e.userId)).size;
    const goals: [string, (e: RawEvent) => boolean][] = [
      ['Signup', (e) => e.name === 'Signup'],
      ['Visit /blog/**', (e) => e.name === 'pageview' && /^\/blog\/.*$/.test(e.pathname)],
      ['Visit /docs/*', (e) => e.name === 'pageview' && /^\/docs\/[^/]*$/.test(e.pathname)],
      ['Never sent', () => false],
    ];
    const rows = goals
      .map(([goal, matches], order) => {
        const ev = events.filter(matches);
        const visitors = new Set(ev.map((e) => e.userId)).size;
        return { goal, visitors, events: ev.length, conversion_rate: Math.round((visitors / total) * 10000) / 100, order };
      })
      .filter((r) => r.events > 0)
      .sort((a, b) => b.visitors - a.visitors || a.order - b.order)
      .map(({ order: _order, ...r }) => r);
    expect(rows.length).toBe(3);
    expect(body.results).toEqual(rows);

    const filtered = await fx.ok<Breakdown>('breakdown', `period=30d&property=event:goal&filters=${encodeURIComponent('event:goal==Signup|Visit /docs/*')}`);
    expect(filtered.results.map((r) => r.goal).sort()).toEqual(['Signup', 'Visit /docs/*']);
  });

  it('conversion rate per source under a goal filter: converted visitors of the source / all its visitors', async () => {
    const body = await fx.ok<Breakdown>('breakdown', `period=30d&property=visit:source&metrics=visitors,conversion_rate&filters=${encodeURIComponent('event:goal==Signup')}`);
    const bySource = groupBy(events, (e) => e.source || 'Direct / None');
    const expected = sortRows(
      [...bySource]
        .map(([source, ev]) => {
          const visitors = new Set(ev.filter((e) => e.name === 'Signup').map((e) => e.userId)).size;
          const all = new Set(ev.map((e) => e.userId)).size;
          return { source, visitors, conversion_rate: Math.round((visitors / all) * 10000) / 100 };
        })
        .filter((r) => r.visitors > 0),
      'source',
      'visitors',
    );
    expect(body.results).toEqual(expected);
  });

  it('sorts by the first metric asked for, then by the key', async () => {
    const body = await fx.ok<Breakdown>('breakdown', 'period=30d&property=visit:browser&metrics=pageviews,visitors');
    const expected = sortRows(
      [...groupBy(visits, (v) => v.attrs.browser || '(not set)')].map(([browser, vs]) => ({ browser, ...visitRow(vs) })),
      'browser',
      'pageviews',
    ).map(({ browser, pageviews, visitors }) => ({ browser, pageviews, visitors }));
    expect(body.results).toEqual(expected);
    const byVisits = await fx.ok<Breakdown>('breakdown', 'period=30d&property=visit:country&metrics=bounce_rate,visits');
    const countries = sortRows(
      [...groupBy(visits, (v) => v.attrs.country || undefined)].map(([country, vs]) => {
        const n = visitNumbers(vs);
        // Sorted on the unrounded rate, so ties of the rounded value may order either way: compare as sets plus order of rates.
        return { country, bounce_rate: n.bounce_rate, visits: n.visits };
      }),
      'country',
      'bounce_rate',
    );
    expect(byVisits.results.map((r) => r.bounce_rate)).toEqual(countries.map((r) => r.bounce_rate));
    expect(new Set(byVisits.results.map((r) => JSON.stringify(r)))).toEqual(new Set(countries.map((r) => JSON.stringify(r))));
  });

  it('limit and page take slices of the sorted rows', async () => {
    const all = await fx.ok<Breakdown>('breakdown', 'period=12mo&property=event:page&metrics=visitors,pageviews');
    expect(all.results.length).toBe(9);
    const second = await fx.ok<Breakdown>('breakdown', 'period=12mo&property=event:page&metrics=visitors,pageviews&limit=4&page=2');
    expect(second.results).toEqual(all.results.slice(4, 8));
    const beyond = await fx.ok<Breakdown>('breakdown', 'period=12mo&property=event:page&limit=4&page=4');
    expect(beyond.results).toEqual([]);
    const entry = await fx.ok<Breakdown>('breakdown', 'period=12mo&property=visit:exit_page&limit=2&page=3');
    const entryAll = await fx.ok<Breakdown>('breakdown', 'period=12mo&property=visit:exit_page');
    expect(entry.results).toEqual(entryAll.results.slice(4, 6));
  });

  it('a filtered breakdown counts only the matching traffic', async () => {
    const filters = 'visit:country==DE|GB;event:page==/blog**';
    const body = await fx.ok<Breakdown>('breakdown', `period=30d&property=visit:device&metrics=visitors,pageviews&filters=${encodeURIComponent(filters)}`);
    const matching = events.filter((e) => ['DE', 'GB'].includes(e.country) && /^\/blog/.test(e.pathname));
    const expected = sortRows(
      [...groupBy(matching, (e) => e.device || '(not set)')].map(([device, ev]) => ({ device, ...eventNumbers(ev) })),
      'device',
      'visitors',
    ).map(({ device, visitors, pageviews }) => ({ device, visitors, pageviews }));
    expect(body.results).toEqual(expected);
  });
});
