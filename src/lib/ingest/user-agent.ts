import UAParser from 'ua-parser-js';
import { LruMap } from './lru.js';

/**
 * ua-parser-js 1.x (MIT; 2.x is AGPL): one regex table, no native code, keeps up with current browsers,
 * and reports a device type (mobile/tablet) that bowser only guesses from the platform. Names are then
 * mapped to the ones Plausible shows (it uses Matomo's device detector), so Stats API filters match.
 */
export type DeviceType = 'Desktop' | 'Mobile' | 'Tablet' | '';

export interface UserAgentInfo {
  browser: string;
  /** `major.minor`, as Plausible stores it. */
  browserVersion: string;
  os: string;
  osVersion: string;
  device: DeviceType;
}

const BROWSER_NAMES: Record<string, string> = {
  'Mobile Safari': 'Safari',
  'Safari Mobile': 'Safari',
  'Mobile Chrome': 'Chrome',
  'Chrome Mobile': 'Chrome',
  'Mobile Firefox': 'Firefox',
  'Firefox Mobile': 'Firefox',
  Edge: 'Microsoft Edge',
  'Opera Mini': 'Opera',
  'Opera Mobi': 'Opera',
  'Opera Touch': 'Opera',
  'Opera GX': 'Opera GX',
  'Samsung Internet': 'Samsung Browser',
  Yandex: 'Yandex Browser',
  UCBrowser: 'UC Browser',
  IE: 'Internet Explorer',
  IEMobile: 'Internet Explorer',
  DuckDuckGo: 'DuckDuckGo Privacy Browser',
  // An app's embedded browser: the app, not a browser the visitor chose.
  'Chrome WebView': 'Mobile App',
  WebKit: 'Mobile App',
};

const OS_NAMES: Record<string, string> = {
  'Mac OS': 'Mac',
  'macOS': 'Mac',
  Linux: 'GNU/Linux',
  'Chromium OS': 'Chrome OS',
};

const DESKTOP_OSES = new Set(['Windows', 'Mac', 'GNU/Linux', 'Chrome OS', 'Ubuntu', 'Fedora', 'Debian', 'Mint', 'Arch', 'FreeBSD', 'OpenBSD', 'NetBSD', 'Solaris', 'SUSE', 'Gentoo', 'Manjaro', 'CentOS', 'Red Hat']);
const MOBILE_OSES = new Set(['iOS', 'Android', 'HarmonyOS', 'Windows Phone', 'KaiOS', 'BlackBerry']);

/** Parses user agents, remembering recent ones: the same few hundred strings make most of the traffic. */
export class UserAgentParser {
  private readonly cache: LruMap<string, UserAgentInfo>;

  constructor(cacheSize = 2000) {
    this.cache = new LruMap(cacheSize);
  }

  parse(userAgent: string): UserAgentInfo {
    const cached = this.cache.get(userAgent);
    if (cached) return cached;
    const info = describeUserAgent(userAgent);
    this.cache.set(userAgent, info);
    return info;
  }
}

export function describeUserAgent(userAgent: string): UserAgentInfo {
  const result = new UAParser(userAgent).getResult();
  const rawBrowser = result.browser.name ?? '';
  const browser = BROWSER_NAMES[rawBrowser] ?? rawBrowser;
  const rawOs = result.os.name ?? '';
  const os = OS_NAMES[rawOs] ?? rawOs;
  return Object.freeze({
    browser,
    browserVersion: browser === 'Mobile App' ? '' : majorMinor(result.browser.version),
    os,
    osVersion: majorMinor(result.os.version),
    device: deviceType(result.device.type, os),
  });
}

function deviceType(type: string | undefined, os: string): DeviceType {
  switch (type) {
    case 'mobile':
    case 'wearable':
      return 'Mobile';
    case 'tablet':
      return 'Tablet';
    case undefined:
      // ua-parser only names non-desktop devices; decide the rest from the OS.
      if (DESKTOP_OSES.has(os)) return 'Desktop';
      if (MOBILE_OSES.has(os)) return 'Mobile';
      return '';
    default:
      return ''; // smart TVs, consoles, XR headsets, embedded: not worth a bucket of their own
  }
}

function majorMinor(version: string | undefined): string {
  if (!version) return '';
  return version.split('.').slice(0, 2).join('.');
}
