import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltTracker, TRACKER_GZIP_BUDGET_BYTES, buildTracker } from '../../../src/lib/tracker/build.js';
import { fakeBrowser, link } from './fake-browser.js';

let tracker: BuiltTracker;
beforeAll(async () => {
  tracker = await buildTracker();
});

const load = (options: Parameters<typeof fakeBrowser>[1] = {}) => fakeBrowser(tracker.code, options);

describe('buildTracker', () => {
  it(`stays within ${TRACKER_GZIP_BUDGET_BYTES} bytes gzipped`, () => {
    const gzipped = gzipSync(tracker.code, { level: 9 }).length;
    expect(gzipped).toBeLessThanOrEqual(TRACKER_GZIP_BUDGET_BYTES);
    expect(tracker.gzipBytes).toBe(tracker.gzip.length);
    expect(tracker.gzipBytes).toBeLessThanOrEqual(TRACKER_GZIP_BUDGET_BYTES);
    expect(gunzipSync(tracker.gzip).toString()).toBe(tracker.code);
  });

  it('gives the same ETag for the same code', async () => {
    const again = await buildTracker();
    expect(again.etag).toBe(tracker.etag);
    expect(tracker.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
  });

  it('minifies (no comments, one line)', () => {
    expect(tracker.code).not.toContain('/*');
    expect(tracker.code.trim().split('\n')).toHaveLength(1);
  });

  it('never mentions cookies or storage', () => {
    expect(tracker.code).not.toMatch(/cookie|localStorage|sessionStorage|indexedDB/i);
  });
});

describe('tracker in a page', () => {
  it('sends a Plausible pageview on load to the script origin', () => {
    const page = load({
      pageUrl: 'https://www.example.com/blog/post?utm_source=x',
      referrer: 'https://news.ycombinator.com/',
      attributes: { 'data-domain': 'example.com' },
    });
    expect(page.sent).toEqual([
      {
        via: 'beacon',
        url: 'https://stats.example.net/api/event',
        body: {
          n: 'pageview',
          u: 'https://www.example.com/blog/post?utm_source=x',
          d: 'example.com',
          r: 'https://news.ycombinator.com/',
          w: 1280,
          h: 0,
        },
      },
    ]);
  });

  it('defaults the domain to the page host without www. and sends r: null without a referrer', () => {
    const page = load({ pageUrl: 'https://www.shop.example/' });
    expect(page.sent[0]?.body).toMatchObject({ d: 'shop.example', r: null });
  });

  it('respects data-api', () => {
    const page = load({ attributes: { 'data-domain': 'example.com', 'data-api': '/stats/event' } });
    expect(page.sent[0]?.url).toBe('/stats/event');
  });

  it('sends one pageview per pushState to a new path, and on Back', () => {
    const page = load({ attributes: { 'data-domain': 'example.com' } });
    page.pushState('/pricing');
    page.pushState('/pricing'); // same path again
    page.pushState('/pricing?plan=pro'); // only the query changed
    page.pushState('/docs');
    page.popState('/pricing');
    expect(page.sent.map((s) => [s.body.n, s.body.u])).toEqual([
      ['pageview', 'https://www.example.com/'],
      ['pageview', 'https://www.example.com/pricing'],
      ['pageview', 'https://www.example.com/docs'],
      ['pageview', 'https://www.example.com/pricing'],
    ]);
  });

  it('sends custom events with props and calls the callback', () => {
    const page = load({ attributes: { 'data-domain': 'example.com' } });
    let called = 0;
    page.call('analytics', 'Signup', { props: { plan: 'pro' }, callback: () => called++ });
    expect(page.sent[1]?.body).toMatchObject({ n: 'Signup', d: 'example.com', p: { plan: 'pro' } });
    expect(called).toBe(1);
    expect(page.window.plausible).toBe(page.window.analytics);
  });

  it('drains calls queued before it loaded, under both names, after the pageview', () => {
    const stub = (name: string) =>
      `window.${name} = window.${name} || function () { (window.${name}.q = window.${name}.q || []).push(arguments) };`;
    const page = load({
      attributes: { 'data-domain': 'example.com' },
      beforeScript: `${stub('analytics')} ${stub('plausible')}
        analytics('Early', { props: { a: 1 } }); plausible('FromPlausibleSnippet');`,
    });
    expect(page.sent.map((s) => s.body.n)).toEqual(['pageview', 'Early', 'FromPlausibleSnippet']);
    expect(page.sent[1]?.body.p).toEqual({ a: 1 });
  });

  it('falls back to fetch with keepalive and text/plain when sendBeacon is missing', async () => {
    const page = load({ beacon: false, attributes: { 'data-domain': 'example.com' } });
    let called = false;
    page.call('analytics', 'Signup', { callback: () => (called = true) });
    expect(page.sent.map((s) => [s.via, s.contentType])).toEqual([
      ['fetch', 'text/plain'],
      ['fetch', 'text/plain'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(called).toBe(true);
  });

  it('ignores localhost unless data-allow-localhost is set, still calling callbacks', () => {
    let called = false;
    const local = load({ pageUrl: 'http://localhost:3000/' });
    local.call('analytics', 'Signup', { callback: () => (called = true) });
    expect(local.sent).toEqual([]);
    expect(called).toBe(true);
    expect(load({ pageUrl: 'http://127.0.0.1:8080/' }).sent).toEqual([]);
    expect(load({ pageUrl: 'http://localhost:3000/', attributes: { 'data-allow-localhost': '' } }).sent).toHaveLength(1);
  });

  it('waits for a prerendered page to be shown', () => {
    const page = load({ visibilityState: 'prerender' });
    expect(page.sent).toEqual([]);
    page.becomeVisible();
    expect(page.sent).toHaveLength(1);
  });

  it('tracks outbound links and downloads only when asked', () => {
    const plain = load();
    plain.click(link('https://github.com/').anchor);
    expect(plain.sent).toHaveLength(1);

    const page = load({ attributes: { 'data-track': 'outbound,downloads' } });
    page.click(link('https://github.com/acme').child); // a click on a span inside the link
    page.click(link('https://www.example.com/about').anchor); // same host: not outbound
    page.click(link('https://www.example.com/files/report.pdf?v=2').anchor);
    page.click(link('https://cdn.example.org/app.dmg').anchor, { type: 'auxclick', button: 1 }); // middle click
    page.click(link('https://cdn.example.org/app.zip').anchor, { type: 'auxclick', button: 2 }); // right click: no
    page.click({ tagName: 'DIV', parentNode: null });
    expect(page.sent.slice(1).map((s) => [s.body.n, s.body.p])).toEqual([
      ['Outbound Link: Click', { url: 'https://github.com/acme' }],
      ['File Download', { url: 'https://www.example.com/files/report.pdf?v=2' }],
      ['File Download', { url: 'https://cdn.example.org/app.dmg' }],
    ]);
  });

  it('reads options from a Plausible-style script name', () => {
    const page = load({ scriptSrc: 'https://stats.example.net/js/script.outbound-links.js' });
    page.click(link('https://github.com/').anchor);
    page.click(link('https://www.example.com/a.pdf').anchor);
    expect(page.sent.map((s) => s.body.n)).toEqual(['pageview', 'Outbound Link: Click']);
    expect(page.sent[0]?.url).toBe('https://stats.example.net/api/event');
  });

  it('treats hash routes as pages in hash mode', () => {
    const page = load({ pageUrl: 'https://www.example.com/#/home', attributes: { 'data-track': 'hash' } });
    page.changeHash('#/settings');
    page.changeHash('#/settings');
    expect(page.sent.map((s) => [s.body.u, s.body.h])).toEqual([
      ['https://www.example.com/#/home', 1],
      ['https://www.example.com/#/settings', 1],
    ]);
  });
});
