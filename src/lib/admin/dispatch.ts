import { existsSync } from 'node:fs';
import type { AppConfig } from '../config/schema.js';
import { withStores } from '../db/connect.js';
import { DataDirLockedError } from '../storage/errors.js';
import { callAdminSocket } from './client.js';
import { executeAdminOperation, type AdminInput, type AdminOperationName, type AdminResult } from './operations.js';
import { adminSocketPath } from './protocol.js';

/** Long enough for a starting server to open its stores and its socket, short enough to fail clearly. */
const DEFAULT_LOCK_WAIT_MS = 5_000;
const RETRY_EVERY_MS = 250;

/**
 * Runs an admin operation where the data is. Embedded stores owned by a running server are reached
 * through its admin socket (opening them here would corrupt PGlite); otherwise the stores are opened
 * directly — also when a socket file is left by a dead server, since the free DATA_DIR lock proves it.
 * While another process holds the lock without serving the socket (a `db migrate`, a starting server),
 * both are retried for `lockWaitMs`, then the lock error says who holds DATA_DIR.
 */
export async function runAdminOperation<N extends AdminOperationName>(
  config: AppConfig,
  name: N,
  input: AdminInput<N>,
  options: { lockWaitMs?: number } = {},
): Promise<AdminResult<N>> {
  const direct = () => withStores(config, (stores) => executeAdminOperation(stores, name, input)) as Promise<AdminResult<N>>;
  if (!usesEmbeddedStores(config)) return direct();

  const socketPath = adminSocketPath(config.dataDir);
  const deadline = Date.now() + (options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  for (;;) {
    if (existsSync(socketPath)) {
      const call = await callAdminSocket(socketPath, name, input);
      if (call.answered) return call.result as AdminResult<N>;
    }
    try {
      return await direct();
    } catch (error) {
      if (!(error instanceof DataDirLockedError) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
  }
}

/** PGlite or chDB in DATA_DIR: the server, when it runs, owns them. */
export function usesEmbeddedStores(config: Pick<AppConfig, 'databaseUrl' | 'clickhouseUrl'>): boolean {
  return !config.databaseUrl || !config.clickhouseUrl;
}
