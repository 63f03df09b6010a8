import { createHmac, randomBytes } from 'node:crypto';

/**
 * A cookie-less visitor id: HMAC-SHA256 keyed with the day's secret salt over (site, ip, user agent),
 * truncated to 64 bits. The same person on the same site gets the same id for the day and a different
 * one on other sites and tomorrow; without the salt (deleted after two days) the id leads nowhere.
 * HMAC output is uniform, so ids spread over the whole UInt64 range and `SAMPLE BY user_id` is fair.
 */
export function visitorId(salt: Buffer, siteId: number | bigint, ip: string, userAgent: string): bigint {
  // NUL separators keep ("1", "23") and ("12", "3") apart; none of the parts can contain a NUL that matters.
  const digest = createHmac('sha256', salt).update(`${siteId}\0${ip}\0${userAgent}`).digest();
  return digest.readBigUInt64BE(0);
}

export const SALT_BYTES = 32;

export function generateSalt(): Buffer {
  return randomBytes(SALT_BYTES);
}

/** The ids of one visitor under both live salts. */
export interface VisitorIds {
  current: bigint;
  /** Under yesterday's salt, to find a session that started before the rotation; null right after install. */
  previous: bigint | null;
}

/**
 * The salts in force: new ids use `current`; `previous` is tried only to find an open session, so a
 * visitor reading across midnight keeps one session (as in Plausible).
 */
export class SaltSet {
  constructor(
    readonly current: Buffer,
    readonly previous: Buffer | null = null,
  ) {
    if (current.length < 16) throw new Error('A visitor-id salt must be at least 16 bytes');
  }

  visitorIds(siteId: number | bigint, ip: string, userAgent: string): VisitorIds {
    const previousSalt = this.previous;
    let previous: bigint | null | undefined;
    return {
      current: visitorId(this.current, siteId, ip, userAgent),
      // Read only when no session is open under today's id, so most events skip the second HMAC.
      get previous() {
        if (previous === undefined) previous = previousSalt ? visitorId(previousSalt, siteId, ip, userAgent) : null;
        return previous;
      },
    };
  }

  /** After the daily rotation: today's salt becomes the previous one. */
  rotate(next: Buffer = generateSalt()): SaltSet {
    return new SaltSet(next, this.current);
  }
}
