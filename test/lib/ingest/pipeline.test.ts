import { describe, expect, it } from 'vitest';
import { TrustedProxies } from '../../../src/lib/ingest/client-ip.js';
import { IngestCounters } from '../../../src/lib/ingest/drop-reasons.js';
import { loadCountryLookup } from '../../../src/lib/ingest/geo.js';
import {
  type IngestRequest,
  type ResolvedSite,
  STEP_NAMES,
  createIngestPipeline,
} from '../../../src/lib/ingest/pipeline.js';
import { SessionStore } from '../../../src/lib/ingest/session.js';
import { UserAgentParser } from '../../../src/lib/ingest/user-agent.js';
import { SaltSet, visitorId } from '../../../src/lib/ingest/visitor-id.js';

const countries = loadCountryLookup();
const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
const SALT = Buffer.alloc(32, 1);
const RECEIVED = new Date('2024-05-01T12:00:00.750Z');

function setup(sites: ResolvedSite[] = [{ id: 7, domain: 'example.com', ingestEnabled: true }]) {
  const counters = new IngestCounters();
  const sessions = new SessionStore({ newSessionId: () => 42n });
  const byDomain = new Map(sites.map((s) => [s.domain, s]));
  const ingest = createIngestPipeline({
    sites: { resolve: async (domain) => byDomain.get(domain) ?? null },
    salts: { salts: () => new SaltSet(SALT) },
    trustedProxies: TrustedProxies.parse(),
    countries,
    userAgents: new UserAgentParser(),
    sessions,
    counters,
    spamReferrerHosts: new Set(['spam.example']),
  });
  return { ingest, counters, sessions };
}

function request(body: unknown, overrides: Partial<IngestRequest> = {}): IngestRequest {
  return {
    body: JSON.stringify(body),
    remoteAddress: '::ffff:127.0.0.1',
    forwardedFor: '6.6.6.6, 8.8.8.8',
    userAgent: SAFARI_MAC,
    receivedAt: RECEIVED,
    ...overrides,
  };
}

describe('ingest pipeline', () => {
  it('names its steps in the order of the design', () => {
    expect(STEP_NAMES).toEqual([
      'parse',
      'resolve-site',
      'bot-filter',
      'client-ip',
      'geolocate',
      'user-agent',
      'referrer',
      'visitor-id',
      'session',
    ]);
  });

  it('turns a Plausible tracker payload into an events row and a sessions row', async () => {
    const { ingest, counters } = setup();
    const result = await ingest(
      request({
        n: 'Signup',
        u: 'https://www.example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=may',
        d: 'example.com',
        r: 'https://news.ycombinator.com/item?id=1',
        w: 1440,
        p: '{"plan":"pro","seats":3}',
      }),
    );

    expect(result.status).toBe(202);
    expect(result.drops).toEqual([]);
    // 8.8.8.8 came from the trusted local proxy's X-Forwarded-For; 6.6.6.6 was the client's forgery.
    const expectedUserId = visitorId(SALT, 7, '8.8.8.8', SAFARI_MAC);
    expect(result.events).toEqual([
      {
        timestamp: Math.floor(RECEIVED.getTime() / 1000),
        site_id: 7,
        name: 'Signup',
        hostname: 'example.com',
        pathname: '/pricing',
        user_id: expectedUserId,
        session_id: 42n,
        referrer: 'news.ycombinator.com/item',
        referrer_source: 'newsletter',
        utm_source: 'newsletter',
        utm_medium: 'email',
        utm_campaign: 'may',
        utm_content: '',
        utm_term: '',
        country_code: 'US',
        browser: 'Safari',
        browser_version: '17.2',
        os: 'Mac',
        os_version: '10.15',
        device: 'Desktop',
        prop_keys: ['plan', 'seats'],
        prop_values: ['pro', '3'],
      },
    ]);
    expect(result.sessionRows).toEqual([
      expect.objectContaining({ session_id: 42n, sign: 1, version: 1, user_id: expectedUserId, pageviews: 0, events: 1 }),
    ]);
    expect(counters.snapshot().accepted).toBe(1);
    expect(JSON.stringify(result.events, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(
      '8.8.8.8',
    );
  });

  it('continues the session on the next pageview', async () => {
    const { ingest } = setup();
    await ingest(request({ n: 'pageview', u: 'https://example.com/', d: 'example.com' }));
    const second = await ingest(
      request({ n: 'pageview', u: 'https://example.com/docs', d: 'example.com', r: 'https://example.com/' }),
    );
    expect(second.events[0]).toMatchObject({ session_id: 42n, referrer: '', referrer_source: '' });
    expect(second.sessionRows.map((r) => [r.sign, r.version, r.exit_page])).toEqual([
      [-1, 1, '/'],
      [1, 2, '/docs'],
    ]);
  });

  it('answers 400 for a malformed body and counts it', async () => {
    const { ingest, counters } = setup();
    const result = await ingest(request({ n: 'pageview' }));
    expect(result.status).toBe(400);
    expect(result.drops).toEqual([expect.objectContaining({ step: 'parse', reason: 'invalid', errors: { url: ['is required'] } })]);
    expect(counters.snapshot().dropped.invalid).toBe(1);
  });

  it('drops unknown sites, disabled sites, bots and spam referrers with 202 and a counted reason', async () => {
    const { ingest, counters } = setup([
      { id: 7, domain: 'example.com', ingestEnabled: true },
      { id: 8, domain: 'paused.example', ingestEnabled: false },
    ]);
    const pageview = { n: 'pageview', u: 'https://example.com/' };

    const cases = [
      [request({ ...pageview, d: 'nobody.example' }), 'resolve-site', 'unknown_site'],
      [request({ ...pageview, d: 'paused.example' }), 'resolve-site', 'site_ingest_disabled'],
      [request({ ...pageview, d: 'example.com' }, { userAgent: 'curl/8.4.0' }), 'bot-filter', 'bot'],
      [request({ ...pageview, d: 'example.com' }, { userAgent: undefined }), 'bot-filter', 'bot'],
      [request({ ...pageview, d: 'example.com', r: 'https://spam.example/' }), 'referrer', 'spam_referrer'],
    ] as const;
    for (const [req, step, reason] of cases) {
      const result = await ingest(req);
      expect(result.status).toBe(202);
      expect(result.events).toEqual([]);
      expect(result.drops).toEqual([expect.objectContaining({ step, reason })]);
    }
    expect(counters.snapshot()).toMatchObject({
      accepted: 0,
      dropped: { unknown_site: 1, site_ingest_disabled: 1, bot: 2, spam_referrer: 1 },
    });
  });

  it('fans out to every known site named in d and drops the unknown ones', async () => {
    const { ingest, counters } = setup([
      { id: 7, domain: 'example.com', ingestEnabled: true },
      { id: 9, domain: 'rollup.example', ingestEnabled: true },
    ]);
    const result = await ingest(request({ n: 'pageview', u: 'https://example.com/', d: 'example.com,rollup.example,ghost.example' }));
    expect(result.status).toBe(202);
    expect(result.events.map((e) => e.site_id)).toEqual([7, 9]);
    // Visitor ids are per site, so one site's ids cannot be joined with another's.
    expect(result.events[0]?.user_id).not.toBe(result.events[1]?.user_id);
    expect(result.drops).toEqual([expect.objectContaining({ domain: 'ghost.example', reason: 'unknown_site' })]);
    expect(counters.snapshot()).toMatchObject({ accepted: 2, dropped: { unknown_site: 1 } });
  });

  it('uses the socket address when the peer is not a trusted proxy', async () => {
    const { ingest } = setup();
    const result = await ingest(
      request({ n: 'pageview', u: 'https://example.com/', d: 'example.com' }, { remoteAddress: '193.0.6.139', forwardedFor: '8.8.8.8' }),
    );
    expect(result.events[0]?.country_code).toBe('NL');
    expect(result.events[0]?.user_id).toBe(visitorId(SALT, 7, '193.0.6.139', SAFARI_MAC));
  });
});
