import { ServiceUnreachableError } from '../cli/errors.js';

/** Polls the server's /api/health until it answers 200 (all stores reachable), or gives up naming the last answer. */
export async function waitForHealth(baseUrl: string, options: { timeoutMs: number; onWait?: (last: string) => void }): Promise<unknown> {
  const url = new URL('/api/health', baseUrl).toString();
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (response.status === 200) return JSON.parse(body) as unknown;
      last = `HTTP ${response.status}: ${body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new ServiceUnreachableError('The analytics server', url, `not healthy after ${Math.round(options.timeoutMs / 1000)} s (${last})`, {
        actions: ['analytics compose logs analytics', 'journalctl -u analytics'],
      });
    }
    options.onWait?.(last);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
