import { createHash, randomBytes } from 'node:crypto';
import { UserError } from '../cli/errors.js';
import type { PostgresQueryable } from '../storage/postgres/index.js';

/**
 * Stats API keys: a recognisable prefix plus 32 random bytes (base64url). Only a SHA-256 of the key is
 * stored: with 256 bits of entropy nobody can brute-force it, so a fast hash is enough and keeps the
 * lookup on every API request cheap (a slow KDF is for low-entropy passwords).
 */
export const API_KEY_MARKER = 'anl_';
const RANDOM_BYTES = 32;
/** What lists show and `api-keys revoke` accepts: the marker plus 8 characters of the random part. */
export const API_KEY_PREFIX_LENGTH = API_KEY_MARKER.length + 8;
const API_KEY_PATTERN = new RegExp(`^${API_KEY_MARKER}[A-Za-z0-9_-]{43}$`);
/** Writing last_used_at on every request would turn each API read into a write. */
const LAST_USED_RESOLUTION = '1 minute';
const MAX_NAME_LENGTH = 100;

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  userId: number;
  userEmail: string;
  scopes: string[];
  rateLimitPerHour: number;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface ApiKeyRow {
  id: string | number;
  name: string;
  key_prefix: string;
  user_id: string | number;
  user_email: string;
  scopes: string[];
  rate_limit_per_hour: number;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: Number(r.id),
  name: r.name,
  prefix: r.key_prefix,
  userId: Number(r.user_id),
  userEmail: r.user_email,
  scopes: r.scopes,
  rateLimitPerHour: Number(r.rate_limit_per_hour),
  createdAt: new Date(r.created_at).toISOString(),
  lastUsedAt: iso(r.last_used_at),
  revokedAt: iso(r.revoked_at),
});

const SELECT_KEYS = `
  SELECT k.id, k.name, k.key_prefix, k.user_id, u.email AS user_email, k.scopes, k.rate_limit_per_hour,
         k.created_at, k.last_used_at, k.revoked_at
  FROM api_keys k JOIN users u ON u.id = k.user_id`;

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function looksLikeApiKey(text: string): boolean {
  return API_KEY_PATTERN.test(text);
}

export function generateApiKey(): { key: string; prefix: string; hash: Buffer } {
  const key = API_KEY_MARKER + randomBytes(RANDOM_BYTES).toString('base64url');
  return { key, prefix: key.slice(0, API_KEY_PREFIX_LENGTH), hash: hashApiKey(key) };
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The key itself: returned here once, stored nowhere. */
  key: string;
}

export async function createApiKey(
  db: PostgresQueryable,
  input: { userId: number; name: string; rateLimitPerHour?: number },
): Promise<CreatedApiKey> {
  const name = input.name.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH) {
    throw new UserError(`An API key name must have 1 to ${MAX_NAME_LENGTH} characters`, {
      code: 'INVALID_KEY_NAME',
      actions: ['name the key after what uses it, e.g. --name grafana'],
    });
  }
  const { key, prefix, hash } = generateApiKey();
  const inserted = await db.query<{ id: string | number }>(
    `INSERT INTO api_keys (user_id, name, key_prefix, key_hash, rate_limit_per_hour)
     VALUES ($1, $2, $3, $4, coalesce($5, 600)) RETURNING id`,
    [input.userId, name, prefix, hash, input.rateLimitPerHour ?? null],
  );
  const id = Number(inserted[0]?.id);
  const [apiKey] = await db.query<ApiKeyRow>(`${SELECT_KEYS} WHERE k.id = $1`, [id]);
  return { apiKey: toApiKey(apiKey as ApiKeyRow), key };
}

export async function listApiKeys(db: PostgresQueryable): Promise<ApiKey[]> {
  const rows = await db.query<ApiKeyRow>(`${SELECT_KEYS} ORDER BY k.id`);
  return rows.map(toApiKey);
}

/**
 * A key named the ways a person has at hand: its id, the prefix shown by `api-keys list` (or any
 * longer start of the key), or the whole key.
 */
export async function findApiKey(db: PostgresQueryable, idOrPrefix: string): Promise<ApiKey> {
  const ref = idOrPrefix.trim();
  let rows: ApiKeyRow[];
  if (/^\d+$/.test(ref)) {
    rows = await db.query<ApiKeyRow>(`${SELECT_KEYS} WHERE k.id = $1`, [Number(ref)]);
  } else if (looksLikeApiKey(ref)) {
    rows = await db.query<ApiKeyRow>(`${SELECT_KEYS} WHERE k.key_hash = $1`, [hashApiKey(ref)]);
  } else if (ref.startsWith(API_KEY_MARKER) && ref.length >= API_KEY_PREFIX_LENGTH - 2) {
    rows = await db.query<ApiKeyRow>(
      `${SELECT_KEYS} WHERE k.key_prefix = left($1, ${API_KEY_PREFIX_LENGTH}) OR starts_with(k.key_prefix, $1) ORDER BY k.id`,
      [ref],
    );
  } else {
    throw new UserError(`"${ref}" is neither an API key id nor a key prefix`, {
      code: 'INVALID_KEY_REFERENCE',
      actions: ['analytics api-keys list   (the ID and PREFIX columns)'],
    });
  }
  if (rows.length === 0) {
    throw new UserError(`No API key matches ${ref}`, { code: 'UNKNOWN_API_KEY', actions: ['analytics api-keys list'] });
  }
  if (rows.length > 1) {
    throw new UserError(`${rows.length} API keys match ${ref}: ${rows.map((r) => `id ${r.id}`).join(', ')}`, {
      code: 'AMBIGUOUS_API_KEY',
      actions: ['pass the key id instead (analytics api-keys list)'],
    });
  }
  return toApiKey(rows[0] as ApiKeyRow);
}

export interface RevokedApiKey {
  apiKey: ApiKey;
  /** True when the key had already been revoked: nothing changed (revoking twice is not an error). */
  alreadyRevoked: boolean;
}

export async function revokeApiKey(db: PostgresQueryable, idOrPrefix: string): Promise<RevokedApiKey> {
  const found = await findApiKey(db, idOrPrefix);
  if (found.revokedAt) return { apiKey: found, alreadyRevoked: true };
  await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [found.id]);
  const [row] = await db.query<ApiKeyRow>(`${SELECT_KEYS} WHERE k.id = $1`, [found.id]);
  return { apiKey: toApiKey(row as ApiKeyRow), alreadyRevoked: false };
}

export interface VerifiedApiKey {
  keyId: number;
  userId: number;
  rateLimitPerHour: number;
  scopes: string[];
}

/**
 * For the Stats API: the key's owner and limits when the key exists and is not revoked, else undefined.
 * Marks the key as used (at most once a minute).
 */
export async function verifyApiKey(db: PostgresQueryable, plaintext: string): Promise<VerifiedApiKey | undefined> {
  if (!looksLikeApiKey(plaintext)) return undefined;
  const rows = await db.query<{ id: string | number; user_id: string | number; rate_limit_per_hour: number; scopes: string[] }>(
    'SELECT id, user_id, rate_limit_per_hour, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [hashApiKey(plaintext)],
  );
  const row = rows[0];
  if (!row) return undefined;
  await db.query(
    `UPDATE api_keys SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION}')`,
    [row.id],
  );
  return {
    keyId: Number(row.id),
    userId: Number(row.user_id),
    rateLimitPerHour: Number(row.rate_limit_per_hour),
    scopes: row.scopes,
  };
}
