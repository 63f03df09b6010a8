/**
 * The outcome of the latest mail the server or the CLI tried to send, kept in the `settings` table so
 * that `analytics health` (a separate process) can show it: a mail setup that silently stopped
 * delivering is the failure self-hosters notice last.
 */
import type { PostgresQueryable } from '../storage/postgres/index.js';

export interface LastSendResult {
  ok: boolean;
  /** What was sent: 'report', 'password-reset', 'test'. */
  kind: string;
  at: string;
  /** Recipient count or a short description; never a message body. */
  detail: string;
  error?: string;
}

const KEY = 'mail.last_send';
const KEY_LAST_OK = 'mail.last_success';

export async function recordSendResult(db: PostgresQueryable, result: Omit<LastSendResult, 'at'> & { at?: string }): Promise<void> {
  const value = { ...result, at: result.at ?? new Date().toISOString() };
  await db.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [KEY, JSON.stringify(value)],
  );
  if (result.ok) {
    await db.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
      [KEY_LAST_OK, JSON.stringify(value)],
    );
  }
}

export async function lastSendResults(db: PostgresQueryable): Promise<{ last?: LastSendResult; lastSuccess?: LastSendResult }> {
  const rows = await db.query<{ key: string; value: LastSendResult }>('SELECT key, value FROM settings WHERE key = ANY($1::text[])', [
    [KEY, KEY_LAST_OK],
  ]);
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  return { last: byKey.get(KEY), lastSuccess: byKey.get(KEY_LAST_OK) };
}
