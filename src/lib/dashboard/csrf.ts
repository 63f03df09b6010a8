import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header the dashboard client sends its token in; forms send the field `_csrf` instead. */
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

/**
 * Compares a submitted token with the expected one in constant time. Both are hashed first so that
 * timingSafeEqual gets equal lengths and the length of the expected token does not leak either.
 */
export function csrfTokensMatch(expected: string, submitted: string | undefined): boolean {
  if (!submitted || !expected) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(submitted).digest();
  return timingSafeEqual(a, b);
}

/** A fresh random token for the login form (double-submit: the same value in a cookie and in the form). */
export function newFormToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A second line of defence besides the token: a browser names the page a request comes from. A
 * state-changing request is refused when Origin (or, without it, Referer) is another origin than the
 * server's: BASE_URL, or the host the request was sent to. No header at all is a non-browser client,
 * which has to pass the token check anyway. `Sec-Fetch-Site: cross-site` is refused outright.
 */
export function originAllowed(headers: IncomingHttpHeaders, allowedOrigins: readonly string[]): boolean {
  const fetchSite = headerValue(headers['sec-fetch-site']);
  if (fetchSite === 'cross-site') return false;
  const origin = headerValue(headers.origin);
  const referer = headerValue(headers.referer);
  let claimed: string | undefined;
  if (origin !== undefined) {
    claimed = origin;
  } else if (referer !== undefined) {
    try {
      claimed = new URL(referer).origin;
    } catch {
      return false;
    }
  } else {
    return true;
  }
  if (claimed === 'null') return false;
  const host = headerValue(headers.host);
  const own = host ? [`http://${host}`, `https://${host}`] : [];
  return [...allowedOrigins, ...own].some((allowed) => sameOrigin(allowed, claimed));
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
