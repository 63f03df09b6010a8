import { LruMap } from './lru.js';
import knownSources from './referrer-sources.json' with { type: 'json' };
import { stripWww } from './payload.js';

export interface Utm {
  source: string;
  medium: string;
  campaign: string;
  content: string;
  term: string;
}

export interface Attribution {
  /** Where the visit came from as shown in Sources: a known name ("Google"), a tagged source, or a bare host. */
  referrerSource: string;
  /** Referrer host (no `www.`) and path, no query or fragment, no trailing slash; '' for none. */
  referrer: string;
  utm: Utm;
}

/**
 * Host patterns → source name, from `referrer-sources.json`. A key matches its host and every
 * subdomain (`reddit.com` covers `old.reddit.com`); `name.*` matches that name under any country
 * suffix (`google.*` covers `google.de`, `google.co.uk`, `news.google.com.br`).
 */
class SourceNames {
  private readonly exact = new Map<string, string>();
  private readonly anySuffix = new Map<string, string>();

  constructor(patterns: Record<string, string>) {
    for (const [pattern, name] of Object.entries(patterns)) {
      if (pattern.endsWith('.*')) this.anySuffix.set(pattern.slice(0, -2), name);
      else this.exact.set(pattern, name);
    }
  }

  lookup(host: string): string | undefined {
    const labels = host.split('.');
    // Most specific first, so mail.google.com (Gmail) wins over google.* (Google).
    for (let i = 0; i < labels.length; i++) {
      const exact = this.exact.get(labels.slice(i).join('.'));
      if (exact) return exact;
      const label = labels[i] ?? '';
      const wildcard = this.anySuffix.get(label);
      const suffix = labels.slice(i + 1);
      if (wildcard && suffix.length >= 1 && suffix.length <= 2 && suffix.every(looksLikeTldLabel)) return wildcard;
    }
    return undefined;
  }
}

/** `com`, `de`, `co` in `co.uk`: short labels; keeps `google.example.org` from counting as Google. */
function looksLikeTldLabel(label: string): boolean {
  return /^[a-z]{2,3}$/.test(label);
}

const sourceNames = new SourceNames(knownSources);

/** The friendly name for a referrer host, or the host without `www.` when it is not a known source. */
export function referrerSourceName(host: string): string {
  const bare = stripWww(host.toLowerCase());
  return sourceNames.lookup(bare) ?? bare;
}

/**
 * Plausible's attribution: a tagged source in the page URL (`utm_source`, then `source`, then `ref`) wins;
 * otherwise the referrer, unless it is the site itself (internal navigation is not a source).
 */
export function attribute(pageUrl: URL, rawReferrer: string, siteDomain: string): Attribution {
  const query = pageUrl.searchParams;
  const utm: Utm = {
    source: param(query, 'utm_source'),
    medium: param(query, 'utm_medium'),
    campaign: param(query, 'utm_campaign'),
    content: param(query, 'utm_content'),
    term: param(query, 'utm_term'),
  };
  const tagged = utm.source || param(query, 'source') || param(query, 'ref');

  const referrerUrl = parseReferrer(rawReferrer);
  const referrerHost = referrerUrl ? stripWww(referrerUrl.hostname.toLowerCase()) : '';
  const isSelf =
    referrerHost !== '' &&
    (referrerHost === stripWww(pageUrl.hostname.toLowerCase()) || referrerHost === stripWww(siteDomain.toLowerCase()));
  const external = referrerUrl && !isSelf && referrerHost !== 'localhost' ? referrerUrl : null;

  return {
    referrerSource: tagged || (external ? referrerSourceName(referrerHost) : ''),
    referrer: external ? cleanReferrer(external) : '',
    utm,
  };
}

/** Host (no `www.`) + path without the trailing slash: `google.com`, `news.ycombinator.com/item`. */
function cleanReferrer(url: URL): string {
  const host = stripWww(url.hostname.toLowerCase());
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return host + path;
}

function parseReferrer(raw: string): URL | null {
  if (raw === '') return null;
  const known = parsedReferrers.get(raw);
  if (known !== undefined) return known;
  let url: URL | null;
  try {
    url = new URL(raw);
    // android-app:// is how Android apps (Gmail, Google app) identify themselves as referrers.
    const webLike = url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'android-app:';
    if (!webLike || url.hostname === '') url = null;
  } catch {
    url = null;
  }
  if (raw.length <= CACHED_REFERRER_MAX_LENGTH) parsedReferrers.set(raw, url);
  return url;
}

/** Referrers repeat as much as pages do (search engines, one social post): parsed once, shared, never changed. */
const parsedReferrers = new LruMap<string, URL | null>(2048);
const CACHED_REFERRER_MAX_LENGTH = 2048;

function param(query: URLSearchParams, name: string): string {
  return (query.get(name) ?? '').trim();
}

/** True when the referrer's host, or a domain above it, is on the spam list (referrer-spam bots). */
export function isSpamReferrer(rawReferrer: string, spamHosts: ReadonlySet<string>): boolean {
  if (spamHosts.size === 0) return false;
  const url = parseReferrer(rawReferrer);
  if (!url) return false;
  const labels = stripWww(url.hostname.toLowerCase()).split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    if (spamHosts.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}
