import { describe, expect, it } from 'vitest';
import { csrfTokensMatch, newFormToken, originAllowed } from '../../../src/lib/dashboard/csrf.js';
import { csrfTokenForSession } from '../../../src/lib/dashboard/sessions.js';

describe('CSRF tokens and the origin check', () => {
  it('matches only the exact token', () => {
    const token = csrfTokenForSession('a'.repeat(43));
    expect(csrfTokensMatch(token, token)).toBe(true);
    expect(csrfTokensMatch(token, `${token}x`)).toBe(false);
    expect(csrfTokensMatch(token, token.slice(0, -1))).toBe(false);
    expect(csrfTokensMatch(token, undefined)).toBe(false);
    expect(csrfTokensMatch(token, '')).toBe(false);
    // An empty expected token (no login cookie) never matches, not even an empty submission.
    expect(csrfTokensMatch('', '')).toBe(false);
    expect(csrfTokenForSession('b'.repeat(43))).not.toBe(token);
    expect(newFormToken()).not.toBe(newFormToken());
  });

  it('accepts our own origin (BASE_URL or the Host the request went to) and no header at all', () => {
    const base = ['https://stats.example.com'];
    expect(originAllowed({ origin: 'https://stats.example.com' }, base)).toBe(true);
    expect(originAllowed({ origin: 'http://127.0.0.1:8000', host: '127.0.0.1:8000' }, base)).toBe(true);
    expect(originAllowed({ referer: 'https://stats.example.com/login?next=/sites' }, base)).toBe(true);
    expect(originAllowed({ host: 'stats.example.com' }, base)).toBe(true);
  });

  it('refuses other origins, opaque origins and cross-site fetches', () => {
    const base = ['https://stats.example.com'];
    expect(originAllowed({ origin: 'https://evil.example', host: 'stats.example.com' }, base)).toBe(false);
    expect(originAllowed({ origin: 'https://stats.example.com.evil.example' }, base)).toBe(false);
    expect(originAllowed({ origin: 'null' }, base)).toBe(false);
    expect(originAllowed({ referer: 'https://evil.example/page' }, base)).toBe(false);
    expect(originAllowed({ referer: 'not a url' }, base)).toBe(false);
    expect(originAllowed({ 'sec-fetch-site': 'cross-site', origin: 'https://stats.example.com' }, base)).toBe(false);
  });
});
