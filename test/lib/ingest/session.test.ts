import { describe, expect, it } from 'vitest';
import { SESSION_TIMEOUT_SECONDS, type SessionEvent, SessionStore } from '../../../src/lib/ingest/session.js';

const T0 = 1_700_000_000;

function event(overrides: Partial<SessionEvent> = {}): SessionEvent {
  return {
    siteId: 1,
    userIds: { current: 111n, previous: null },
    timestamp: T0,
    name: 'pageview',
    hostname: 'example.com',
    pathname: '/',
    interactive: true,
    referrer: 'google.com',
    referrerSource: 'Google',
    utm: { source: '', medium: '', campaign: '', content: '', term: '' },
    countryCode: 'DE',
    browser: 'Firefox',
    browserVersion: '121.0',
    os: 'GNU/Linux',
    osVersion: '',
    device: 'Desktop',
    ...overrides,
  };
}

function storeWithIds() {
  let next = 1000n;
  return new SessionStore({ newSessionId: () => next++ });
}

describe('SessionStore', () => {
  it('starts a session with one +1 row', () => {
    const store = storeWithIds();
    const update = store.onEvent(event({ pathname: '/landing' }));
    expect(update.sessionId).toBe(1000n);
    expect(update.userId).toBe(111n);
    expect(update.rows).toEqual([
      expect.objectContaining({
        session_id: 1000n,
        sign: 1,
        version: 1,
        site_id: 1,
        user_id: 111n,
        start: T0,
        timestamp: T0,
        duration: 0,
        pageviews: 1,
        events: 1,
        is_bounce: 1,
        entry_page: '/landing',
        exit_page: '/landing',
        referrer_source: 'Google',
        country_code: 'DE',
      }),
    ]);
  });

  it('updates with a cancel row equal to the previous state and a new version', () => {
    const store = storeWithIds();
    const [first] = store.onEvent(event({ pathname: '/a' })).rows;
    const update = store.onEvent(event({ pathname: '/b', timestamp: T0 + 90 }));
    expect(update.sessionId).toBe(1000n);
    expect(update.rows).toHaveLength(2);
    expect(update.rows[0]).toEqual({ ...first, sign: -1 });
    expect(update.rows[1]).toMatchObject({
      sign: 1,
      version: 2,
      timestamp: T0 + 90,
      duration: 90,
      pageviews: 2,
      events: 2,
      is_bounce: 0,
      entry_page: '/a',
      exit_page: '/b',
      // Attribution stays with the first event of the session.
      referrer_source: 'Google',
    });
    const third = store.onEvent(event({ pathname: '/c', timestamp: T0 + 100 }));
    expect(third.rows[0]).toEqual({ ...update.rows[1], sign: -1 });
    expect(third.rows[1]).toMatchObject({ version: 3, pageviews: 3 });
  });

  it('keeps a bounce for non-interactive events, ends it for interactive custom events', () => {
    const store = storeWithIds();
    store.onEvent(event());
    const ping = store.onEvent(event({ name: 'scroll', interactive: false, timestamp: T0 + 5 }));
    expect(ping.rows[1]).toMatchObject({ is_bounce: 1, pageviews: 1, events: 2, exit_page: '/' });
    const click = store.onEvent(event({ name: 'Signup', timestamp: T0 + 10 }));
    expect(click.rows[1]).toMatchObject({ is_bounce: 0, pageviews: 1, events: 3 });
  });

  it('starts a new session after 30 minutes of inactivity', () => {
    const store = storeWithIds();
    store.onEvent(event());
    expect(store.onEvent(event({ timestamp: T0 + SESSION_TIMEOUT_SECONDS - 1 })).sessionId).toBe(1000n);
    const later = store.onEvent(event({ timestamp: T0 + 2 * SESSION_TIMEOUT_SECONDS }));
    expect(later.sessionId).toBe(1001n);
    expect(later.rows).toHaveLength(1);
  });

  it('keeps sites and visitors apart', () => {
    const store = storeWithIds();
    store.onEvent(event());
    expect(store.onEvent(event({ siteId: 2 })).sessionId).toBe(1001n);
    expect(store.onEvent(event({ userIds: { current: 222n, previous: null } })).sessionId).toBe(1002n);
  });

  it('finds a session begun under the previous salt (a visitor crossing midnight)', () => {
    const store = storeWithIds();
    store.onEvent(event({ userIds: { current: 111n, previous: null } }));
    // The salt rotated: today's id is 999, yesterday's is the 111 the session was keyed by.
    const update = store.onEvent(event({ userIds: { current: 999n, previous: 111n }, timestamp: T0 + 60 }));
    expect(update.sessionId).toBe(1000n);
    expect(update.userId).toBe(111n);
    expect(update.rows[1]).toMatchObject({ user_id: 111n, events: 2 });
  });

  it('never moves time backwards for a late event', () => {
    const store = storeWithIds();
    store.onEvent(event({ timestamp: T0 + 100 }));
    const late = store.onEvent(event({ timestamp: T0 + 40 }));
    expect(late.rows[1]).toMatchObject({ timestamp: T0 + 100, duration: 0 });
  });

  it('evicts idle sessions only', () => {
    const store = storeWithIds();
    store.onEvent(event());
    store.onEvent(event({ userIds: { current: 222n, previous: null }, timestamp: T0 + 1000 }));
    expect(store.size).toBe(2);
    expect(store.evictIdle(T0 + SESSION_TIMEOUT_SECONDS - 1)).toBe(0);
    expect(store.evictIdle(T0 + SESSION_TIMEOUT_SECONDS)).toBe(1);
    expect(store.size).toBe(1);
  });

  it('draws random 64-bit session ids by default', () => {
    const store = new SessionStore();
    const a = store.onEvent(event()).sessionId;
    const b = store.onEvent(event({ siteId: 2 })).sessionId;
    expect(a).not.toBe(b);
    expect(a >= 0n && a < 2n ** 64n).toBe(true);
  });
});
