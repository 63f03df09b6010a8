import { describe, expect, it } from 'vitest';
import { PAYLOAD_LIMITS, parsePayload } from '../../../src/lib/ingest/payload.js';

function parsed(body: unknown) {
  const result = parsePayload(JSON.stringify(body));
  if (!result.ok) throw new Error(`expected ok, got ${result.message}`);
  return result.event;
}

function refused(body: unknown) {
  const result = parsePayload(typeof body === 'string' ? body : JSON.stringify(body));
  if (result.ok) throw new Error('expected a drop');
  return result;
}

describe('parsePayload', () => {
  it('reads the short names the tracker sends', () => {
    const event = parsed({
      n: 'pageview',
      u: 'https://www.example.com/blog/hello%20world?utm_source=news',
      d: 'example.com',
      r: 'https://news.ycombinator.com/item?id=1',
      w: 1280,
    });
    expect(event).toMatchObject({
      name: 'pageview',
      hostname: 'example.com',
      pathname: '/blog/hello world',
      domains: ['example.com'],
      referrer: 'https://news.ycombinator.com/item?id=1',
      props: {},
      hashMode: false,
      interactive: true,
      screenWidth: 1280,
    });
    expect(event.url.searchParams.get('utm_source')).toBe('news');
  });

  it('reads the long names used by server-side integrations', () => {
    const event = parsed({
      name: 'Signup',
      url: 'http://example.com/pricing',
      domain: 'example.com',
      referrer: 'https://google.com/',
      props: { plan: 'pro' },
    });
    expect(event).toMatchObject({ name: 'Signup', referrer: 'https://google.com/', props: { plan: 'pro' } });
  });

  it('accepts a Buffer or an already-decoded object', () => {
    const body = { n: 'pageview', u: 'https://example.com/', d: 'example.com' };
    expect(parsePayload(Buffer.from(JSON.stringify(body))).ok).toBe(true);
    expect(parsePayload(body).ok).toBe(true);
  });

  it('splits several comma-separated domains, trimming and removing www.', () => {
    const event = parsed({ n: 'pageview', u: 'https://example.com/', d: 'example.com, www.Rollup.io,,example.com' });
    expect(event.domains).toEqual(['example.com', 'rollup.io']);
  });

  it('takes the domain from the URL when d is missing', () => {
    expect(parsed({ n: 'pageview', u: 'https://www.shop.example/' }).domains).toEqual(['shop.example']);
  });

  it('appends the fragment in hash mode only', () => {
    const url = 'https://example.com/app#/settings/profile';
    expect(parsed({ n: 'pageview', u: url, d: 'example.com', h: 1 }).pathname).toBe('/app#/settings/profile');
    expect(parsed({ n: 'pageview', u: url, d: 'example.com' }).pathname).toBe('/app');
  });

  it('reads props from an object or a JSON string, m/meta as aliases, keeping scalars as strings', () => {
    const props = { plan: 'pro', seats: 3, trial: false, empty: '', nil: null, list: [1], map: { a: 1 }, ' ': 'x' };
    expect(parsed({ n: 'x', u: 'https://a.io/', p: props }).props).toEqual({ plan: 'pro', seats: '3', trial: 'false' });
    expect(parsed({ n: 'x', u: 'https://a.io/', p: JSON.stringify({ a: 1 }) }).props).toEqual({ a: '1' });
    expect(parsed({ n: 'x', u: 'https://a.io/', m: { a: 'm' } }).props).toEqual({ a: 'm' });
    expect(parsed({ n: 'x', u: 'https://a.io/', meta: '{"b":"meta"}' }).props).toEqual({ b: 'meta' });
    expect(parsed({ n: 'x', u: 'https://a.io/', p: 'not json' }).props).toEqual({});
    expect(parsed({ n: 'x', u: 'https://a.io/', p: '[1,2]' }).props).toEqual({});
  });

  it('keeps at most 30 props', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`]));
    expect(Object.keys(parsed({ n: 'x', u: 'https://a.io/', p: many }).props)).toHaveLength(PAYLOAD_LIMITS.props);
  });

  it('refuses oversized prop keys or values, as Plausible does', () => {
    const drop = refused({ n: 'x', u: 'https://a.io/', p: { k: 'v'.repeat(2001) } });
    expect(drop.reason).toBe('invalid');
    expect(drop.errors).toHaveProperty('props');
    expect(refused({ n: 'x', u: 'https://a.io/', p: { ['k'.repeat(301)]: 'v' } }).reason).toBe('invalid');
  });

  it('reads interactive only when it is a boolean', () => {
    expect(parsed({ n: 'scroll', u: 'https://a.io/', i: false }).interactive).toBe(false);
    expect(parsed({ n: 'scroll', u: 'https://a.io/', i: 'no' }).interactive).toBe(true);
  });

  it.each([
    ['non-JSON text', 'not json at all', 'request'],
    ['a JSON array', '[1,2,3]', 'request'],
    ['no name', { u: 'https://a.io/' }, 'name'],
    ['an empty name', { n: '', u: 'https://a.io/' }, 'name'],
    ['a 121-character name', { n: 'x'.repeat(121), u: 'https://a.io/' }, 'name'],
    ['no url', { n: 'pageview' }, 'url'],
    ['a numeric url', { n: 'pageview', u: 42 }, 'url'],
    ['an unparsable url', { n: 'pageview', u: 'not a url' }, 'url'],
    ['a data: url', { n: 'pageview', u: 'data:text/html,hi' }, 'url'],
    ['a file: url', { n: 'pageview', u: 'file:///etc/passwd', d: 'a.io' }, 'url'],
    ['only blank domains', { n: 'pageview', u: 'https://a.io/', d: ' , ' }, 'domain'],
    ['a 2001-character path', { n: 'pageview', u: `https://a.io/${'p'.repeat(2001)}` }, 'pathname'],
    ['a 2001-character referrer', { n: 'pageview', u: 'https://a.io/', r: `https://r.io/${'p'.repeat(2001)}` }, 'referrer'],
  ])('refuses %s with a 400', (_label, body, field) => {
    const drop = refused(body);
    expect(drop.reason).toBe('invalid');
    expect(Object.keys(drop.errors ?? {})).toEqual([field]);
    expect(drop.message.startsWith(`${field}: `)).toBe(true);
  });
});
