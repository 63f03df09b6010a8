import { randomBytes } from 'node:crypto';
import type { Utm } from './referrer.js';
import type { VisitorIds } from './visitor-id.js';

/** Plausible's session: it ends after 30 minutes without an event. */
export const SESSION_TIMEOUT_SECONDS = 30 * 60;

/** What the session store needs to know about an accepted event. */
export interface SessionEvent {
  siteId: number;
  userIds: VisitorIds;
  /** Unix seconds (UTC). */
  timestamp: number;
  name: string;
  hostname: string;
  pathname: string;
  interactive: boolean;
  referrer: string;
  referrerSource: string;
  utm: Utm;
  countryCode: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: string;
}

/**
 * One row of the sessions table (`VersionedCollapsingMergeTree(sign, version)`): every change writes the
 * previous state again with sign −1 and the new state with sign +1, so ClickHouse collapses them to one.
 */
/** Where a visit came from and on what: the same columns on events and sessions. */
export interface VisitAttributes {
  referrer: string;
  referrer_source: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_content: string;
  utm_term: string;
  country_code: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device: string;
}

export interface SessionRow extends VisitAttributes {
  session_id: bigint;
  sign: 1 | -1;
  version: number;
  site_id: number;
  user_id: bigint;
  hostname: string;
  /** Unix seconds of the first event. */
  start: number;
  /** Unix seconds of the latest event. */
  timestamp: number;
  /** Seconds between the first and the latest event. */
  duration: number;
  pageviews: number;
  events: number;
  is_bounce: 0 | 1;
  entry_page: string;
  exit_page: string;
}

export interface SessionUpdate {
  sessionId: bigint;
  /** The session's visitor id: the previous-salt id when the session began before the salt rotated. */
  userId: bigint;
  /** Rows to append: one (+1) for a new session; a cancel (−1) and a new state (+1) for an update. */
  rows: SessionRow[];
}

export interface SessionStoreOptions {
  timeoutSeconds?: number;
  /** Session id source; injected by tests for stable ids. */
  newSessionId?: () => bigint;
}

/**
 * Open sessions kept in memory by (site, visitor). One process owns them; with several servers behind a
 * load balancer, visitors must stick to one (hash on client IP) or sessions split — as in Plausible.
 */
export class SessionStore {
  /** Site id → visitor id → the session's latest state. Keyed by the bigint itself: no string per lookup. */
  private readonly sessions = new Map<number, Map<bigint, SessionRow>>();
  private count = 0;
  private readonly timeoutSeconds: number;
  private readonly newSessionId: () => bigint;

  constructor(options: SessionStoreOptions = {}) {
    this.timeoutSeconds = options.timeoutSeconds ?? SESSION_TIMEOUT_SECONDS;
    this.newSessionId = options.newSessionId ?? randomSessionId;
  }

  get size(): number {
    return this.count;
  }

  onEvent(event: SessionEvent): SessionUpdate {
    let site = this.sessions.get(event.siteId);
    if (!site) {
      site = new Map();
      this.sessions.set(event.siteId, site);
    }
    // The session under today's id, else one begun before the salt rotated (yesterday's id).
    let key = event.userIds.current;
    let previous = this.openIn(site, key, event);
    if (!previous && event.userIds.previous !== null) {
      key = event.userIds.previous;
      previous = this.openIn(site, key, event);
    }
    if (!previous) {
      const row = startSession(event, this.newSessionId());
      if (!site.has(event.userIds.current)) this.count++;
      site.set(event.userIds.current, row);
      return { sessionId: row.session_id, userId: row.user_id, rows: [{ ...row }] };
    }
    // The stored state is updated in place and only snapshots are handed out: they die young, while a
    // new state object per event would pile up in the old generation (open sessions live for minutes)
    // and bring on long full garbage collections under load.
    const cancel: SessionRow = { ...previous, sign: -1 };
    continueSession(previous, event);
    return { sessionId: previous.session_id, userId: previous.user_id, rows: [cancel, { ...previous }] };
  }

  /** Forgets sessions idle for the timeout; call it every minute or so. Returns how many were dropped. */
  evictIdle(nowSeconds: number): number {
    let evicted = 0;
    for (const [siteId, site] of this.sessions) {
      for (const [userId, row] of site) {
        if (nowSeconds - row.timestamp >= this.timeoutSeconds) {
          site.delete(userId);
          evicted++;
        }
      }
      if (site.size === 0) this.sessions.delete(siteId);
    }
    this.count -= evicted;
    return evicted;
  }

  private openIn(site: Map<bigint, SessionRow>, userId: bigint, event: SessionEvent): SessionRow | undefined {
    const row = site.get(userId);
    return row && event.timestamp - row.timestamp < this.timeoutSeconds ? row : undefined;
  }
}

// One randomBytes call per 512 sessions instead of one per session.
let idPool = Buffer.alloc(0);
let idOffset = 0;

function randomSessionId(): bigint {
  if (idOffset >= idPool.length) {
    idPool = randomBytes(8 * 512);
    idOffset = 0;
  }
  const id = idPool.readBigUInt64BE(idOffset);
  idOffset += 8;
  return id;
}

function startSession(event: SessionEvent, sessionId: bigint): SessionRow {
  const isPageview = event.name === 'pageview';
  return {
    session_id: sessionId,
    sign: 1,
    version: 1,
    site_id: event.siteId,
    user_id: event.userIds.current,
    hostname: event.hostname,
    start: event.timestamp,
    timestamp: event.timestamp,
    duration: 0,
    pageviews: isPageview ? 1 : 0,
    events: 1,
    is_bounce: 1,
    entry_page: isPageview ? event.pathname : '',
    exit_page: isPageview ? event.pathname : '',
    referrer: event.referrer,
    referrer_source: event.referrerSource,
    utm_source: event.utm.source,
    utm_medium: event.utm.medium,
    utm_campaign: event.utm.campaign,
    utm_content: event.utm.content,
    utm_term: event.utm.term,
    country_code: event.countryCode,
    browser: event.browser,
    browser_version: event.browserVersion,
    os: event.os,
    os_version: event.osVersion,
    device: event.device,
  };
}

/** Applies an event to an open session's state, in place. */
function continueSession(state: SessionRow, event: SessionEvent): void {
  const isPageview = event.name === 'pageview';
  // Events can arrive slightly out of order (beacons, retries): time only moves forward.
  const timestamp = Math.max(state.timestamp, event.timestamp);
  state.version += 1;
  state.timestamp = timestamp;
  state.duration = timestamp - state.start;
  if (isPageview) state.pageviews += 1;
  state.events += 1;
  // A second page or any interaction means the visitor engaged; a non-interactive ping does not.
  state.is_bounce = state.is_bounce === 1 && !event.interactive ? 1 : 0;
  if (isPageview) {
    if (!state.entry_page) state.entry_page = event.pathname;
    // Keep the stored string when the page is the same: the state lives in the old generation, and
    // every new string stored there must be promoted (copied) by the next scavenge.
    if (state.exit_page !== event.pathname) state.exit_page = event.pathname;
  }
}
