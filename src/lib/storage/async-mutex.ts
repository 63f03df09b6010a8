import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A FIFO mutex for single-connection stores (PGlite, a chDB stream slot).
 *
 * Re-entrant by async context: code running inside `runExclusive(fn)` (and everything it awaits)
 * can call `runExclusive` again without deadlocking, because it already owns the connection.
 *
 * The context is tracked with an AsyncLocalStorage, which turns on promise hooks for the whole
 * process (every await costs ~3× as much while they are on). So the storage is enabled only while
 * the mutex is taken or awaited, and disabled again when it goes idle: the ingest hot path, which
 * never touches these stores, runs without the hooks.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private readonly owner = new AsyncLocalStorage<AsyncMutex>();
  /** acquire() calls not yet released (holder + waiters). */
  private users = 0;

  /** True when the current async context already holds this mutex. */
  get heldByCurrentContext(): boolean {
    return this.owner.getStore() === this;
  }

  async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.heldByCurrentContext) return fn();
    const release = await this.acquire();
    try {
      return await this.owner.run(this, fn);
    } finally {
      release();
    }
  }

  /** Takes the mutex without entering an owning context (for holders spanning several calls, e.g. a stream). */
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => next);
    this.users += 1;
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users -= 1;
      // Nobody holds or waits: no context may claim the mutex any more (run() re-enables it).
      if (this.users === 0) this.owner.disable();
      release();
    };
  }
}
