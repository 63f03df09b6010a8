import { classifyUserAgent } from './bot.js';
import { clientIp, type TrustedProxies } from './client-ip.js';
import { type Drop, drop, httpStatusFor, type IngestCounters } from './drop-reasons.js';
import type { CountryLookup } from './geo.js';
import { type ParsedEvent, parsePayload } from './payload.js';
import { attribute, isSpamReferrer, type Utm } from './referrer.js';
import type { SessionRow, SessionStore, VisitAttributes } from './session.js';
import type { UserAgentInfo, UserAgentParser } from './user-agent.js';
import type { SaltSet, VisitorIds } from './visitor-id.js';

/** What the HTTP layer hands over: the raw body and the few connection facts ingestion needs. */
export interface IngestRequest {
  body: string | Buffer | Record<string, unknown>;
  /** The socket peer (`req.socket.remoteAddress`). */
  remoteAddress: string | undefined;
  userAgent: string | undefined;
  /** `X-Forwarded-For`, believed only from a trusted proxy. */
  forwardedFor: string | readonly string[] | undefined;
  receivedAt: Date;
}

export interface ResolvedSite {
  id: number;
  domain: string;
  /** False for a site being deleted or with ingestion paused: its events are dropped and counted. */
  ingestEnabled: boolean;
}

/** Domain → site; the database-backed one caches, so this is usually synchronous. */
export interface SiteResolver {
  resolve(domain: string): ResolvedSite | null | Promise<ResolvedSite | null>;
}

/** The current and previous daily salts; the database-backed one rotates them. */
export interface SaltProvider {
  salts(): SaltSet | Promise<SaltSet>;
}

export interface PipelineDeps {
  sites: SiteResolver;
  salts: SaltProvider;
  trustedProxies: TrustedProxies;
  countries: CountryLookup;
  userAgents: UserAgentParser;
  sessions: SessionStore;
  counters: IngestCounters;
  /** Referrer hosts whose traffic is spam (suffix match); empty by default. */
  spamReferrerHosts?: ReadonlySet<string>;
}

/** One events-table row, ready for the spool. Column names follow Plausible's `events_v2`. */
export interface EnrichedEvent extends VisitAttributes {
  /** Unix seconds (UTC). */
  timestamp: number;
  site_id: number;
  name: string;
  hostname: string;
  pathname: string;
  user_id: bigint;
  session_id: bigint;
  prop_keys: string[];
  prop_values: string[];
}

/** An event on its way through the per-site steps; each step fills in its part (in place: one draft per site). */
export interface Draft {
  request: IngestRequest;
  parsed: ParsedEvent;
  domain: string;
  site: ResolvedSite | null;
  ip: string;
  countryCode: string;
  userAgent: UserAgentInfo;
  referrer: string;
  referrerSource: string;
  utm: Utm;
  userIds: VisitorIds | null;
  userId: bigint;
  sessionId: bigint;
  sessionRows: SessionRow[];
}

/** A step fills in its part of the draft in place and answers CONTINUE, or a drop. */
export type StepOutcome = typeof CONTINUE | Drop;

export interface Step {
  name: StepName;
  run(draft: Draft, deps: PipelineDeps): StepOutcome | Promise<StepOutcome>;
}

export type StepName =
  | 'parse'
  | 'resolve-site'
  | 'bot-filter'
  | 'client-ip'
  | 'geolocate'
  | 'user-agent'
  | 'referrer'
  | 'visitor-id'
  | 'session';

/** One shared answer instead of an object per step per event. */
export const CONTINUE = Object.freeze({ ok: true as const });

function withSite(draft: Draft, site: ResolvedSite | null): StepOutcome {
  if (!site) return drop('unknown_site', `no site with domain ${draft.domain}`);
  if (!site.ingestEnabled) return drop('site_ingest_disabled', `ingestion is disabled for ${site.domain}`);
  draft.site = site;
  return CONTINUE;
}

function withVisitorIds(draft: Draft, salts: SaltSet): StepOutcome {
  const userIds = salts.visitorIds(siteOf(draft).id, draft.ip, draft.request.userAgent ?? '');
  draft.userIds = userIds;
  draft.userId = userIds.current;
  return CONTINUE;
}

function siteOf(draft: Draft): ResolvedSite {
  if (!draft.site) throw new Error('bug: ingest step ran before resolve-site');
  return draft.site;
}

/**
 * The steps after parsing, in order. They run once per site named in `d` (a body may name several, as
 * Plausible allows for roll-up sites); parsing runs once per request and fans out.
 */
export const SITE_STEPS: readonly Step[] = [
  {
    name: 'resolve-site',
    run(draft, deps) {
      const site = deps.sites.resolve(draft.domain);
      return site instanceof Promise ? site.then((found) => withSite(draft, found)) : withSite(draft, site);
    },
  },
  {
    name: 'bot-filter',
    run(draft) {
      const verdict = classifyUserAgent(draft.request.userAgent);
      return verdict.bot ? drop('bot', verdict.why) : CONTINUE;
    },
  },
  {
    name: 'client-ip',
    run(draft, deps) {
      const { remoteAddress, forwardedFor } = draft.request;
      draft.ip = clientIp(remoteAddress, forwardedFor, deps.trustedProxies);
      return CONTINUE;
    },
  },
  {
    name: 'geolocate',
    run(draft, deps) {
      draft.countryCode = draft.ip ? deps.countries.country(draft.ip) : '';
      return CONTINUE;
    },
  },
  {
    name: 'user-agent',
    run(draft, deps) {
      draft.userAgent = deps.userAgents.parse(draft.request.userAgent ?? '');
      return CONTINUE;
    },
  },
  {
    name: 'referrer',
    run(draft, deps) {
      if (deps.spamReferrerHosts && isSpamReferrer(draft.parsed.referrer, deps.spamReferrerHosts)) {
        return drop('spam_referrer', 'referrer is on the spam list');
      }
      const { referrer, referrerSource, utm } = attribute(draft.parsed.url, draft.parsed.referrer, siteOf(draft).domain);
      draft.referrer = referrer;
      draft.referrerSource = referrerSource;
      draft.utm = utm;
      return CONTINUE;
    },
  },
  {
    name: 'visitor-id',
    run(draft, deps) {
      const salts = deps.salts.salts();
      if (salts instanceof Promise) return salts.then((set) => withVisitorIds(draft, set));
      return withVisitorIds(draft, salts);
    },
  },
  {
    name: 'session',
    run(draft, deps) {
      if (!draft.userIds) throw new Error('bug: session step ran before visitor-id');
      const update = deps.sessions.onEvent({
        siteId: siteOf(draft).id,
        userIds: draft.userIds,
        timestamp: unixSeconds(draft.request.receivedAt),
        name: draft.parsed.name,
        hostname: draft.parsed.hostname,
        pathname: draft.parsed.pathname,
        interactive: draft.parsed.interactive,
        referrer: draft.referrer,
        referrerSource: draft.referrerSource,
        utm: draft.utm,
        countryCode: draft.countryCode,
        browser: draft.userAgent.browser,
        browserVersion: draft.userAgent.browserVersion,
        os: draft.userAgent.os,
        osVersion: draft.userAgent.osVersion,
        device: draft.userAgent.device,
      });
      // The event carries the session's visitor id, so a session crossing the salt rotation counts once.
      draft.userId = update.userId;
      draft.sessionId = update.sessionId;
      draft.sessionRows = update.rows;
      return CONTINUE;
    },
  },
];

export const STEP_NAMES: readonly StepName[] = ['parse', ...SITE_STEPS.map((s) => s.name)];

export interface StepDrop extends Drop {
  step: StepName;
  /** The site domain the drop applies to; absent when the whole request was refused. */
  domain?: string;
}

export interface IngestResult {
  /** 202 unless the body itself was refused (400/413), as Plausible answers. */
  status: 202 | 400 | 413;
  events: EnrichedEvent[];
  sessionRows: SessionRow[];
  drops: StepDrop[];
}

/** Creates the ingestion function the HTTP handler calls once per `/api/event` request. */
export function createIngestPipeline(deps: PipelineDeps, steps: readonly Step[] = SITE_STEPS) {
  return async function ingest(request: IngestRequest): Promise<IngestResult> {
    const parsed = parsePayload(request.body);
    if (!parsed.ok) {
      deps.counters.count(parsed.reason);
      return { status: httpStatusFor(parsed.reason), events: [], sessionRows: [], drops: [{ ...parsed, step: 'parse' }] };
    }

    const result: IngestResult = { status: 202, events: [], sessionRows: [], drops: [] };
    for (const domain of parsed.event.domains) {
      const draft = emptyDraft(request, parsed.event, domain);
      let refused: StepDrop | null = null;
      for (const step of steps) {
        // Most steps are synchronous (the site and salt lookups hit their caches): awaiting only the
        // promises saves a microtask hop per step on the hot path.
        const pending = step.run(draft, deps);
        const outcome = pending instanceof Promise ? await pending : pending;
        if (!outcome.ok) {
          refused = { ...outcome, step: step.name, domain };
          break;
        }
      }
      if (refused) {
        deps.counters.count(refused.reason);
        result.drops.push(refused);
        continue;
      }
      deps.counters.countAccepted();
      result.events.push(toEnrichedEvent(draft));
      result.sessionRows.push(...draft.sessionRows);
    }
    return result;
  };
}

export type IngestPipeline = ReturnType<typeof createIngestPipeline>;

function emptyDraft(request: IngestRequest, parsed: ParsedEvent, domain: string): Draft {
  return {
    request,
    parsed,
    domain,
    site: null,
    ip: '',
    countryCode: '',
    userAgent: { browser: '', browserVersion: '', os: '', osVersion: '', device: '' },
    referrer: '',
    referrerSource: '',
    utm: { source: '', medium: '', campaign: '', content: '', term: '' },
    userIds: null,
    userId: 0n,
    sessionId: 0n,
    sessionRows: [],
  };
}

function toEnrichedEvent(draft: Draft): EnrichedEvent {
  const props = Object.entries(draft.parsed.props);
  return {
    timestamp: unixSeconds(draft.request.receivedAt),
    site_id: siteOf(draft).id,
    name: draft.parsed.name,
    hostname: draft.parsed.hostname,
    pathname: draft.parsed.pathname,
    user_id: draft.userId,
    session_id: draft.sessionId,
    referrer: draft.referrer,
    referrer_source: draft.referrerSource,
    utm_source: draft.utm.source,
    utm_medium: draft.utm.medium,
    utm_campaign: draft.utm.campaign,
    utm_content: draft.utm.content,
    utm_term: draft.utm.term,
    country_code: draft.countryCode,
    browser: draft.userAgent.browser,
    browser_version: draft.userAgent.browserVersion,
    os: draft.userAgent.os,
    os_version: draft.userAgent.osVersion,
    device: draft.userAgent.device,
    prop_keys: props.map(([key]) => key),
    prop_values: props.map(([, value]) => value),
  };
}

function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
