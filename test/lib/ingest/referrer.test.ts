import { describe, expect, it } from 'vitest';
import { attribute, isSpamReferrer, referrerSourceName } from '../../../src/lib/ingest/referrer.js';

const page = (query = '') => new URL(`https://www.example.com/pricing${query}`);

describe('referrerSourceName', () => {
  it.each([
    ['www.google.com', 'Google'],
    ['google.co.uk', 'Google'],
    ['www.google.com.br', 'Google'],
    ['mail.google.com', 'Gmail'],
    ['bing.com', 'Bing'],
    ['duckduckgo.com', 'DuckDuckGo'],
    ['l.facebook.com', 'Facebook'],
    ['m.facebook.com', 'Facebook'],
    ['t.co', 'Twitter'],
    ['x.com', 'Twitter'],
    ['www.linkedin.com', 'LinkedIn'],
    ['old.reddit.com', 'Reddit'],
    ['github.com', 'GitHub'],
    ['news.ycombinator.com', 'Hacker News'],
    ['m.youtube.com', 'YouTube'],
    ['com.google.android.gm', 'Gmail'],
    ['www.blog.example.org', 'blog.example.org'],
    ['google.example.org', 'google.example.org'],
    ['notgithub.com', 'notgithub.com'],
  ])('%s → %s', (host, name) => {
    expect(referrerSourceName(host)).toBe(name);
  });
});

describe('attribute', () => {
  it('names a known referrer and keeps host+path without the query', () => {
    expect(attribute(page(), 'https://www.google.com/search?q=analytics', 'example.com')).toEqual({
      referrerSource: 'Google',
      referrer: 'google.com/search',
      utm: { source: '', medium: '', campaign: '', content: '', term: '' },
    });
  });

  it('uses the bare host for an unknown referrer and drops the trailing slash', () => {
    const result = attribute(page(), 'https://www.someblog.net/posts/analytics/', 'example.com');
    expect(result).toMatchObject({ referrerSource: 'someblog.net', referrer: 'someblog.net/posts/analytics' });
    expect(attribute(page(), 'https://someblog.net/', 'example.com').referrer).toBe('someblog.net');
  });

  it('reads UTM parameters from the page URL, utm_source winning as the source', () => {
    const result = attribute(
      page('?utm_source=newsletter&utm_medium=email&utm_campaign=launch&utm_content=cta&utm_term=analytics'),
      'https://mail.google.com/',
      'example.com',
    );
    expect(result.referrerSource).toBe('newsletter');
    expect(result.referrer).toBe('mail.google.com');
    expect(result.utm).toEqual({ source: 'newsletter', medium: 'email', campaign: 'launch', content: 'cta', term: 'analytics' });
  });

  it('falls back to source= and ref= as tagged sources', () => {
    expect(attribute(page('?source=producthunt'), '', 'example.com').referrerSource).toBe('producthunt');
    expect(attribute(page('?ref=partner'), '', 'example.com').referrerSource).toBe('partner');
    expect(attribute(page('?source=a&ref=b'), '', 'example.com').referrerSource).toBe('a');
  });

  it('ignores self-referrals: the page host or the site domain', () => {
    expect(attribute(page(), 'https://example.com/', 'example.com')).toMatchObject({ referrerSource: '', referrer: '' });
    expect(attribute(page(), 'https://www.example.com/blog', 'example.com')).toMatchObject({ referrerSource: '', referrer: '' });
    const onApp = new URL('https://app.example.com/');
    expect(attribute(onApp, 'https://example.com/', 'example.com').referrerSource).toBe('');
  });

  it('ignores referrers that are not web pages', () => {
    for (const referrer of ['', 'not a url', 'about:blank', 'file:///home/me/page.html', 'http://localhost:3000/']) {
      expect(attribute(page(), referrer, 'example.com')).toMatchObject({ referrerSource: '', referrer: '' });
    }
  });

  it('accepts Android app referrers', () => {
    expect(attribute(page(), 'android-app://com.google.android.gm/', 'example.com').referrerSource).toBe('Gmail');
  });
});

describe('isSpamReferrer', () => {
  const spam = new Set(['spam.example', 'buttons-for-website.com']);
  it('matches a listed host and its subdomains', () => {
    expect(isSpamReferrer('https://spam.example/x', spam)).toBe(true);
    expect(isSpamReferrer('https://www.free.buttons-for-website.com/', spam)).toBe(true);
    expect(isSpamReferrer('https://example/', spam)).toBe(false);
    expect(isSpamReferrer('https://google.com/', spam)).toBe(false);
    expect(isSpamReferrer('', spam)).toBe(false);
  });
});
