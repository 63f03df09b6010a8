import { describe, expect, it } from 'vitest';
import { UserAgentParser, describeUserAgent } from '../../../src/lib/ingest/user-agent.js';

const cases: Array<[string, string, ReturnType<typeof describeUserAgent>]> = [
  [
    'Chrome on Mac',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Mac', osVersion: '10.15', device: 'Desktop' },
  ],
  [
    'Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
    { browser: 'Microsoft Edge', browserVersion: '120.0', os: 'Windows', osVersion: '10', device: 'Desktop' },
  ],
  [
    'Firefox on Linux',
    'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    { browser: 'Firefox', browserVersion: '121.0', os: 'GNU/Linux', osVersion: '', device: 'Desktop' },
  ],
  [
    'Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
    { browser: 'Safari', browserVersion: '17.2', os: 'iOS', osVersion: '17.2', device: 'Mobile' },
  ],
  [
    'Safari on iPad',
    'Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    { browser: 'Safari', browserVersion: '17.1', os: 'iOS', osVersion: '17.1', device: 'Tablet' },
  ],
  [
    'Chrome on Android phone',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Android', osVersion: '10', device: 'Mobile' },
  ],
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    { browser: 'Samsung Browser', browserVersion: '23.0', os: 'Android', osVersion: '14', device: 'Mobile' },
  ],
  [
    'Chrome on a ChromeBook',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Chrome OS', osVersion: '14541.0', device: 'Desktop' },
  ],
  [
    'an Android in-app WebView',
    'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36',
    { browser: 'Mobile App', browserVersion: '', os: 'Android', osVersion: '13', device: 'Mobile' },
  ],
];

describe('describeUserAgent', () => {
  it.each(cases)('%s', (_label, ua, expected) => {
    expect(describeUserAgent(ua)).toEqual(expected);
  });

  it('returns empty fields for something unrecognisable', () => {
    expect(describeUserAgent('SomethingElse')).toEqual({ browser: '', browserVersion: '', os: '', osVersion: '', device: '' });
  });
});

describe('UserAgentParser', () => {
  it('returns the cached result for a repeated user agent', () => {
    const parser = new UserAgentParser(2);
    const ua = cases[0]![1];
    const first = parser.parse(ua);
    expect(parser.parse(ua)).toBe(first);
  });

  it('keeps entries in use and forgets the ones not used for two generations', () => {
    const parser = new UserAgentParser(2);
    const [a, b, c, d, e] = cases.map(([, ua]) => ua);
    const resultA = parser.parse(a!);
    const resultB = parser.parse(b!);
    parser.parse(c!); // a and b age
    expect(parser.parse(a!)).toBe(resultA); // a is used again: kept
    parser.parse(d!);
    parser.parse(e!); // b was not used while it aged: gone
    expect(parser.parse(a!)).toBe(resultA);
    const reparsedB = parser.parse(b!);
    expect(reparsedB).not.toBe(resultB);
    expect(reparsedB).toEqual(resultB);
  });
});
