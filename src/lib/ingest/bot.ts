import { isbot } from 'isbot';

export type BotVerdict = { bot: false } | { bot: true; why: 'empty_user_agent' | 'bot_pattern' };

/**
 * Real browsers always send a user agent; `isbot`'s pattern list covers crawlers, link previewers,
 * monitoring agents, HTTP libraries and headless browsers (HeadlessChrome, PhantomJS, Playwright...).
 */
export function classifyUserAgent(userAgent: string | undefined | null): BotVerdict {
  const ua = userAgent?.trim() ?? '';
  if (ua === '') return { bot: true, why: 'empty_user_agent' };
  if (isbot(ua)) return { bot: true, why: 'bot_pattern' };
  return { bot: false };
}

export function isBotUserAgent(userAgent: string | undefined | null): boolean {
  return classifyUserAgent(userAgent).bot;
}
