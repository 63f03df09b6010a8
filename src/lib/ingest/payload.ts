import { type Drop, drop } from './drop-reasons.js';
import { LruMap } from './lru.js';

/** Limits from Plausible's ingestion (`Plausible.Ingestion.Request`, `Plausible.Props`). */
export const PAYLOAD_LIMITS = {
  eventNameLength: 120,
  pathnameLength: 2000,
  referrerLength: 2000,
  props: 30,
  propKeyBytes: 300,
  propValueBytes: 2000,
} as const;

/** A validated `/api/event` body, before anything about the site or the visitor is known. */
export interface ParsedEvent {
  name: string;
  url: URL;
  /** Page host without `www.`. */
  hostname: string;
  /** Decoded path; with hash mode, `#fragment` appended (for hash-routed SPAs). */
  pathname: string;
  /** Site domains the event is for, without `www.`, lowercase, at least one. */
  domains: string[];
  /** Raw `document.referrer`, '' when none. */
  referrer: string;
  props: Record<string, string>;
  hashMode: boolean;
  /** `false` marks events that must not end a bounce (e.g. a scroll ping). */
  interactive: boolean;
  screenWidth: number | null;
}

export type ParseResult = { ok: true; event: ParsedEvent } | Drop;

type Body = Record<string, unknown>;

/**
 * Parses a Plausible `/api/event` body. The tracker sends `text/plain` to avoid a CORS preflight, so the
 * body is parsed as JSON whatever the content type says. Short and long field names are both accepted.
 */
export function parsePayload(raw: string | Buffer | Body): ParseResult {
  const body = typeof raw === 'string' || Buffer.isBuffer(raw) ? decodeJsonObject(raw.toString()) : raw;
  if (!body) return invalid('request', 'Unable to parse request body as json');

  const url = parseUrl(first(body, 'u', 'url'));
  if (typeof url === 'string') return invalid('url', url);

  const name = first(body, 'n', 'name');
  if (typeof name !== 'string' || name.trim() === '') return invalid('name', "can't be blank");
  if (name.length > PAYLOAD_LIMITS.eventNameLength) {
    return invalid('name', `should be at most ${PAYLOAD_LIMITS.eventNameLength} character(s)`);
  }

  const hashMode = isTruthyFlag(first(body, 'h', 'hashMode'));
  const pathname = pathnameOf(url, hashMode);
  if (pathname.length > PAYLOAD_LIMITS.pathnameLength) {
    return invalid('pathname', `should be at most ${PAYLOAD_LIMITS.pathnameLength} character(s)`);
  }

  const rawReferrer = first(body, 'r', 'referrer');
  const referrer = typeof rawReferrer === 'string' ? rawReferrer.trim() : '';
  if (referrer.length > PAYLOAD_LIMITS.referrerLength) {
    return invalid('referrer', `should be at most ${PAYLOAD_LIMITS.referrerLength} character(s)`);
  }

  const hostname = stripWww(url.hostname.toLowerCase());
  const domains = domainsOf(first(body, 'd', 'domain'), hostname);
  if (domains.length === 0) return invalid('domain', "can't be blank");

  const props = parseProps(first(body, 'm', 'meta', 'p', 'props'));
  if (!props) {
    return invalid(
      'props',
      `keys should have at most ${PAYLOAD_LIMITS.propKeyBytes} bytes and values ${PAYLOAD_LIMITS.propValueBytes} bytes`,
    );
  }

  const interactive = first(body, 'i', 'interactive');
  const width = first(body, 'w', 'screen_width');

  return {
    ok: true,
    event: {
      name,
      url,
      hostname,
      pathname,
      domains,
      referrer,
      props,
      hashMode,
      interactive: typeof interactive === 'boolean' ? interactive : true,
      screenWidth: typeof width === 'number' && Number.isFinite(width) && width >= 0 ? Math.round(width) : null,
    },
  };
}

export function stripWww(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}

function invalid(field: string, problem: string): Drop {
  return drop('invalid', `${field}: ${problem}`, { [field]: [problem] });
}

function decodeJsonObject(text: string): Body | null {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : null;
  } catch {
    return null;
  }
}

function isPlainObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** First key present with a non-null value, in Plausible's precedence order. */
function first(body: Body, ...keys: string[]): unknown {
  for (const key of keys) {
    const value = body[key];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** Returns the URL or the validation problem. */
function parseUrl(value: unknown): URL | string {
  if (value === undefined) return 'is required';
  if (typeof value !== 'string') return 'must be a string';
  const known = parsedUrls.get(value);
  if (known !== undefined) return known;
  let url: URL | string;
  try {
    url = new URL(value.trim());
    // Plausible only refuses `data:`; we refuse everything that is not a web page (file:, chrome-extension:...).
    if (url.protocol !== 'http:' && url.protocol !== 'https:') url = 'scheme is not allowed';
  } catch {
    url = 'is not a valid URL';
  }
  if (value.length <= CACHED_URL_MAX_LENGTH) parsedUrls.set(value, url);
  return url;
}

/**
 * Most events are for a site's few popular pages: the parsed page URLs of recent events are kept, which
 * saves the WHATWG parse (~1 µs) on most requests. The URL objects are shared, so nothing may change them.
 */
const parsedUrls = new LruMap<string, URL | string>(2048);
const CACHED_URL_MAX_LENGTH = 2048;

function isTruthyFlag(value: unknown): boolean {
  return value === 1 || value === true || value === '1' || value === 'true';
}

function pathnameOf(url: URL, hashMode: boolean): string {
  const path = safeDecode(url.pathname || '/').trimEnd();
  const fragment = url.hash.slice(1);
  return hashMode && fragment !== '' ? `${path}#${safeDecode(fragment)}` : path;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function domainsOf(raw: unknown, hostname: string): string[] {
  if (typeof raw !== 'string') return raw === undefined && hostname !== '' ? [hostname] : [];
  if (!raw.includes(',')) {
    // One site, as nearly every tracker sends.
    const domain = stripWww(raw.trim().toLowerCase());
    return domain === '' ? [] : [domain];
  }
  const domains = raw
    .split(',')
    .map((d) => stripWww(d.trim().toLowerCase()))
    .filter((d) => d !== '');
  return [...new Set(domains)];
}

/**
 * Props as Plausible keeps them: an object or a JSON string of one; lists, maps and blanks dropped, scalars
 * turned into strings, at most 30 kept. Returns null when a key or value is too long (a 400, as in Plausible).
 */
function parseProps(raw: unknown): Record<string, string> | null {
  const source = typeof raw === 'string' ? decodeJsonObject(raw) : isPlainObject(raw) ? raw : null;
  const props: Record<string, string> = {};
  if (!source) return props;
  let kept = 0;
  for (const [key, value] of Object.entries(source)) {
    if (kept >= PAYLOAD_LIMITS.props) break;
    if (value === null || value === undefined || typeof value === 'object') continue;
    const text = String(value);
    if (key.trimStart() === '' || text.trimStart() === '') continue;
    if (Buffer.byteLength(key) > PAYLOAD_LIMITS.propKeyBytes) return null;
    if (Buffer.byteLength(text) > PAYLOAD_LIMITS.propValueBytes) return null;
    props[key] = text;
    kept++;
  }
  return props;
}
