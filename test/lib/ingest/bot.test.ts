import { describe, expect, it } from 'vitest';
import { classifyUserAgent, isBotUserAgent } from '../../../src/lib/ingest/bot.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';

describe('bot filter', () => {
  it.each([CHROME, IPHONE])('lets real browsers through: %s', (ua) => {
    expect(classifyUserAgent(ua)).toEqual({ bot: false });
  });

  it.each([undefined, null, '', '   '])('treats a missing user agent (%j) as a bot', (ua) => {
    expect(classifyUserAgent(ua)).toEqual({ bot: true, why: 'empty_user_agent' });
  });

  it.each([
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1',
    'curl/8.4.0',
    'python-requests/2.31.0',
    'Go-http-client/1.1',
    'UptimeRobot/2.0 (http://www.uptimerobot.com/)',
    'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
    'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  ])('drops %s', (ua) => {
    expect(isBotUserAgent(ua)).toBe(true);
  });
});
