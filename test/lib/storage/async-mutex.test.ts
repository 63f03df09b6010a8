import { describe, expect, it } from 'vitest';
import { AsyncMutex } from '../../../src/lib/storage/async-mutex.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('AsyncMutex', () => {
  it('runs sections one at a time, in order', async () => {
    const mutex = new AsyncMutex();
    const log: string[] = [];
    const section = (name: string) =>
      mutex.runExclusive(async () => {
        log.push(`${name} in`);
        await tick();
        log.push(`${name} out`);
      });
    await Promise.all([section('a'), section('b'), section('c')]);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('lets code inside a section take it again without deadlocking', async () => {
    const mutex = new AsyncMutex();
    const result = await mutex.runExclusive(async () => {
      await tick();
      return mutex.runExclusive(async () => 'nested');
    });
    expect(result).toBe('nested');
  });

  it('does not let a continuation that outlives its section skip the queue', async () => {
    const mutex = new AsyncMutex();
    let leaked!: Promise<boolean>;
    await mutex.runExclusive(async () => {
      // Started inside the section, still running after it ends.
      leaked = tick().then(() => mutex.heldByCurrentContext);
    });
    expect(await leaked).toBe(false);
    // And the mutex still works (its context tracking is switched on again by the next section).
    expect(await mutex.runExclusive(async () => mutex.heldByCurrentContext)).toBe(true);
  });
});
