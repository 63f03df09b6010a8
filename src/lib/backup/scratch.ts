import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temp DATA_DIR for scratch embedded stores (backup verify). */
export async function makeScratchDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'analytics-verify-'));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
