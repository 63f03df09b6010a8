/** pg_advisory_lock takes a bigint; pass it as text so keys beyond 2^53 survive. */
export function advisoryLockKey(key: bigint | number): string {
  if (typeof key === 'number' && !Number.isSafeInteger(key)) {
    throw new RangeError(`advisory lock key must be a safe integer or a bigint, got ${key}`);
  }
  const asBigint = BigInt(key);
  if (asBigint < -(2n ** 63n) || asBigint >= 2n ** 63n) {
    throw new RangeError(`advisory lock key ${asBigint} does not fit in a signed 64-bit integer`);
  }
  return asBigint.toString();
}

export const ADVISORY_LOCK_SQL = 'SELECT pg_advisory_lock($1::bigint)';
export const ADVISORY_UNLOCK_SQL = 'SELECT pg_advisory_unlock($1::bigint)';
