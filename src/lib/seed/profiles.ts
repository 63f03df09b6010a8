/**
 * What the demo traffic looks like: weighted lists of pages, sources, countries and device
 * profiles, shaped after a small content site. Weights are relative.
 */
export interface Weighted<T> {
  value: T;
  weight: number;
}

export const PAGES: Weighted<string>[] = [
  { value: '/', weight: 30 },
  { value: '/pricing', weight: 10 },
  { value: '/blog', weight: 8 },
  { value: '/blog/privacy-friendly-analytics', weight: 9 },
  { value: '/blog/self-hosting-guide', weight: 7 },
  { value: '/blog/clickhouse-backups', weight: 5 },
  { value: '/docs', weight: 8 },
  { value: '/docs/getting-started', weight: 7 },
  { value: '/docs/api', weight: 4 },
  { value: '/about', weight: 4 },
  { value: '/contact', weight: 3 },
  { value: '/signup', weight: 5 },
];

export interface SourceProfile {
  name: string;
  referrer: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
}

export const SOURCES: Weighted<SourceProfile>[] = [
  { value: { name: '', referrer: '', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 30 },
  { value: { name: 'Google', referrer: 'www.google.com', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 28 },
  { value: { name: 'DuckDuckGo', referrer: 'duckduckgo.com', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 5 },
  { value: { name: 'Bing', referrer: 'www.bing.com', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 4 },
  { value: { name: 'Hacker News', referrer: 'news.ycombinator.com', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 8 },
  { value: { name: 'Reddit', referrer: 'www.reddit.com/r/selfhosted', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 6 },
  { value: { name: 'GitHub', referrer: 'github.com', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 5 },
  { value: { name: 'Twitter', referrer: 't.co', utmSource: '', utmMedium: '', utmCampaign: '' }, weight: 4 },
  { value: { name: 'Newsletter', referrer: '', utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'monthly' }, weight: 6 },
  { value: { name: 'LinkedIn', referrer: 'www.linkedin.com', utmSource: 'linkedin', utmMedium: 'social', utmCampaign: 'launch' }, weight: 4 },
];

export const COUNTRIES: Weighted<string>[] = [
  { value: 'US', weight: 30 },
  { value: 'DE', weight: 12 },
  { value: 'GB', weight: 9 },
  { value: 'FR', weight: 7 },
  { value: 'IN', weight: 8 },
  { value: 'CA', weight: 5 },
  { value: 'NL', weight: 4 },
  { value: 'BR', weight: 4 },
  { value: 'JP', weight: 4 },
  { value: 'AU', weight: 3 },
  { value: 'SE', weight: 3 },
  { value: 'PL', weight: 3 },
  { value: 'ES', weight: 3 },
  { value: 'IT', weight: 3 },
  { value: '', weight: 2 },
];

export interface DeviceProfile {
  device: 'Desktop' | 'Mobile' | 'Tablet';
  os: string;
  osVersion: string;
  browser: string;
  browserVersion: string;
}

export const DEVICE_PROFILES: Weighted<DeviceProfile>[] = [
  { value: { device: 'Desktop', os: 'Windows', osVersion: '10', browser: 'Chrome', browserVersion: '131.0' }, weight: 22 },
  { value: { device: 'Desktop', os: 'Mac', osVersion: '14', browser: 'Safari', browserVersion: '18.1' }, weight: 10 },
  { value: { device: 'Desktop', os: 'Mac', osVersion: '14', browser: 'Chrome', browserVersion: '131.0' }, weight: 9 },
  { value: { device: 'Desktop', os: 'GNU/Linux', osVersion: '', browser: 'Firefox', browserVersion: '133.0' }, weight: 6 },
  { value: { device: 'Desktop', os: 'Windows', osVersion: '10', browser: 'Microsoft Edge', browserVersion: '131.0' }, weight: 6 },
  { value: { device: 'Mobile', os: 'iOS', osVersion: '18.1', browser: 'Safari', browserVersion: '18.1' }, weight: 20 },
  { value: { device: 'Mobile', os: 'Android', osVersion: '14', browser: 'Chrome', browserVersion: '131.0' }, weight: 18 },
  { value: { device: 'Mobile', os: 'Android', osVersion: '14', browser: 'Samsung Browser', browserVersion: '26.0' }, weight: 3 },
  { value: { device: 'Tablet', os: 'iPadOS', osVersion: '18.1', browser: 'Safari', browserVersion: '18.1' }, weight: 4 },
];

/** Visits per hour of the day (UTC), a working-day curve. */
export const HOURS: Weighted<number>[] = [
  1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 8, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1,
].map((weight, hour) => ({ value: hour, weight }));

export const CUSTOM_EVENTS = ['Signup', 'Download', 'Outbound Link: Click'];

/** Running totals: the form the SQL's weighted pick expects. */
export function cumulativeWeights(list: Weighted<unknown>[]): number[] {
  let total = 0;
  return list.map((item) => (total += item.weight));
}
