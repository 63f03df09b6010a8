import type { SaltProvider } from '../ingest/pipeline.js';
import { generateSalt, SaltSet } from '../ingest/visitor-id.js';
import type { PostgresStore } from '../storage/postgres/index.js';

const DAY_MS = 86_400_000;

interface SaltRow {
  salt: Buffer | Uint8Array;
  created_at: Date | string;
}

/**
 * Daily salts for cookie-less visitor ids, kept in Postgres so every server process (and a restart)
 * uses the same ones. Rotated once per UTC day: a new current salt, the old one kept as previous so
 * a visit crossing midnight keeps its session, anything older deleted so yesterday's ids can never be
 * recomputed.
 */
export class DatabaseSaltProvider implements SaltProvider {
  private set: SaltSet | undefined;
  private currentCreatedAt = 0;

  constructor(private readonly db: PostgresStore) {}

  salts(): SaltSet {
    if (!this.set) throw new Error('DatabaseSaltProvider.load() was not awaited');
    return this.set;
  }

  /** Seconds since the current salt was made (health reports it). */
  ageSeconds(now = Date.now()): number {
    return Math.round((now - this.currentCreatedAt) / 1000);
  }

  async load(now = Date.now()): Promise<void> {
    await this.rotateIfDue(now);
  }

  /** Call every few minutes; cheap when nothing is due. Several servers may race: the newest two rows win. */
  async rotateIfDue(now = Date.now()): Promise<boolean> {
    let rows = await this.newestTwo();
    const newest = rows[0] ? new Date(rows[0].created_at).getTime() : undefined;
    const rotated = newest === undefined || Math.floor(newest / DAY_MS) < Math.floor(now / DAY_MS);
    if (rotated) {
      await this.db.query('INSERT INTO salts (salt, created_at) VALUES ($1, $2)', [generateSalt(), new Date(now)]);
      await this.db.query(
        'DELETE FROM salts WHERE id NOT IN (SELECT id FROM salts ORDER BY created_at DESC, id DESC LIMIT 2)',
      );
      rows = await this.newestTwo();
    }
    const [current, previous] = rows;
    if (!current) throw new Error('no salt after rotation');
    const createdAt = new Date(current.created_at).getTime();
    if (!this.set || createdAt !== this.currentCreatedAt) {
      this.set = new SaltSet(Buffer.from(current.salt), previous ? Buffer.from(previous.salt) : null);
      this.currentCreatedAt = createdAt;
    }
    return rotated;
  }

  private newestTwo(): Promise<SaltRow[]> {
    return this.db.query<SaltRow>('SELECT salt, created_at FROM salts ORDER BY created_at DESC, id DESC LIMIT 2');
  }
}
