import * as crypto from 'node:crypto';

/** crypto.hash (Node ≥ 20.12) is a one-shot digest without a Hash object: a quarter of an HMAC's cost. */
const sha256Hex: (data: string) => string = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'hex')
  : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * A cookie-less visitor id: SHA-256 over the day's secret salt followed by (site, ip, user agent),
 * truncated to 64 bits. The same person on the same site gets the same id for the day and a different
 * one on other sites and tomorrow; without the salt (deleted after two days) the id leads nowhere.
 * A secret-prefix hash is a sound keyed hash here: its only weakness, length extension, needs the full
 * digest, and only 64 bits of it are ever stored (never shown). One hash per event instead of HMAC's
 * two and its object allocations; Plausible uses SipHash for the same job. The output is uniform, so
 * ids spread over the whole UInt64 range and `SAMPLE BY user_id` is fair.
 */
export function visitorId(salt: Buffer, siteId: number | bigint, ip: string, userAgent: string): bigint {
  // NUL separators keep ("1", "23") and ("12", "3") apart; none of the parts can contain a NUL that matters.
  return BigInt(`0x${sha256Hex(`${saltKey(salt)}\0${siteId}\0${ip}\0${userAgent}`).slice(0, 16)}`);
}

/** The salt as text for the hashed string (hex keeps it valid UTF-8); cached per salt Buffer. */
const saltKeys = new WeakMap<Buffer, string>();
function saltKey(salt: Buffer): string {
  let key = saltKeys.get(salt);
  if (key === undefined) {
    key = salt.toString('hex');
    saltKeys.set(salt, key);
  }
  return key;
}

export const SALT_BYTES = 32;

export function generateSalt(): Buffer {
  return crypto.randomBytes(SALT_BYTES);
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
