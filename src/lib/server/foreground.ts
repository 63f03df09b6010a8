import type { AppConfig } from '../config/schema.js';
import { createLogger } from './log.js';
import { startServer } from './runtime.js';

export interface StartResult {
  url: string;
  storageMode: string;
  stoppedBy: string;
  uptimeSeconds: number;
}

/**
 * `analytics start`: run the server until SIGTERM or SIGINT, then shut down cleanly (stop accepting,
 * flush the spool, close the stores). A second signal during shutdown exits at once.
 */
export async function runServerInForeground(config: AppConfig): Promise<StartResult> {
  const log = createLogger(config.logLevel);
  const started = Date.now();
  // Listen for signals before starting: a SIGTERM during start-up must still end in a clean shutdown.
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (name: NodeJS.Signals) => {
      log.info('shutting down', { signal: name });
      process.once(name, () => {
        log.warn('second signal: exiting without a clean shutdown');
        process.exit(130);
      });
      resolve(name);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  const server = await startServer(config, log);
  const stoppedBy = await signal;
  await server.close();
  return {
    url: server.url,
    storageMode: server.stores.mode,
    stoppedBy,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  };
}
