import { isbot } from 'isbot';
import { LruMap } from './lru.js';

export type BotVerdict = { bot: false } | { bot: true; why: 'empty_user_agent' | 'bot_pattern' };

/**
 * Real browsers always send a user agent; `isbot`'s pattern list covers crawlers, link previewers,
 * monitoring agents, HTTP libraries and headless browsers (HeadlessChrome, PhantomJS, Playwright...).
 */
export function classifyUserAgent(userAgent: string | undefined | null): BotVerdict {
  const ua = userAgent?.trim() ?? '';
  if (ua === '') return EMPTY;
  // isbot runs one large regular expression; real traffic repeats a few thousand user agents.
  let verdict = verdicts.get(ua);
  if (verdict === undefined) {
    verdict = isbot(ua) ? PATTERN : HUMAN;
    verdicts.set(ua, verdict);
  }
  return verdict;
}

const EMPTY: BotVerdict = { bot: true, why: 'empty_user_agent' };
const PATTERN: BotVerdict = { bot: true, why: 'bot_pattern' };
const HUMAN: BotVerdict = { bot: false };
const verdicts = new LruMap<string, BotVerdict>(4096);

export function isBotUserAgent(userAgent: string | undefined | null): boolean {
  return classifyUserAgent(userAgent).bot;
}
