import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RESET_REQUESTED_MESSAGE,
  findResetToken,
  requestPasswordReset,
  resetPassword,
} from '../../../src/lib/accounts/password-reset.js';
import { verifyPassword } from '../../../src/lib/accounts/password.js';
import { createUser } from '../../../src/lib/accounts/users.js';
import { lastSendResults } from '../../../src/lib/mail/last-send.js';
import type { SmtpSettings } from '../../../src/lib/mail/settings.js';
import { MIGRATIONS_ROOT, loadMigrations } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../../src/lib/migrate/runner.js';
import { openTempPglite, type EmbeddedPostgres } from '../../helpers/embedded.js';
import { SMTP_PASSWORD, SMTP_USER, makeTestCertificate, startTestSmtpServer, type TestCertificate, type TestSmtpServer } from '../../helpers/smtp.js';

let pg: EmbeddedPostgres;
let certificate: TestCertificate;
let smtp: TestSmtpServer;
let settings: SmtpSettings;
const BASE_URL = 'https://stats.example.com';

beforeAll(async () => {
  pg = await openTempPglite();
  await migrateUp(postgresLedger(pg.store), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')));
  certificate = makeTestCertificate();
  smtp = await startTestSmtpServer({ tls: 'starttls', certificate });
  settings = {
    host: smtp.host,
    port: smtp.port,
    implicitTls: false,
    user: SMTP_USER,
    password: SMTP_PASSWORD,
    from: { name: 'Analytics', address: 'stats@example.com' },
    retries: 0,
    tls: { ca: certificate.cert },
  };
  await createUser(pg.store, { email: 'Ada@example.com', name: 'Ada', password: 'old-password-1', isAdmin: true });
}, 60_000);

afterAll(async () => {
  await smtp?.close();
  certificate?.remove();
  await pg?.cleanup();
});

const LINK = /https:\/\/stats\.example\.com\/password-reset\/([A-Za-z0-9_-]{43})/;

async function requestAndReceive(email: string): Promise<string> {
  const before = smtp.received.length;
  const request = await requestPasswordReset(pg.store, { email, baseUrl: BASE_URL, smtp: settings });
  expect(request.message).toBe(RESET_REQUESTED_MESSAGE);
  await request.delivery;
  const [mail] = (await smtp.waitFor(before + 1)).slice(before);
  const token = LINK.exec(mail?.parsed.text ?? '')?.[1];
  expect(token, mail?.parsed.text).toBeDefined();
  return token as string;
}

async function userId(): Promise<number> {
  const [row] = await pg.store.query<{ id: string }>("SELECT id FROM users WHERE lower(email) = 'ada@example.com'");
  return Number(row?.id);
}

describe('password reset', () => {
  it('a known address gets a link; the token is stored only hashed; using it sets the password and ends sessions', async () => {
    const token = await requestAndReceive('ada@EXAMPLE.com');
    expect(smtp.received.at(-1)?.to).toEqual(['Ada@example.com']);
    const stored = await pg.store.query<{ token_hash: Buffer }>('SELECT token_hash FROM password_reset_tokens');
    expect(stored).toHaveLength(1);
    expect(Buffer.from(stored[0]!.token_hash).toString('utf8')).not.toContain(token);
    expect(await findResetToken(pg.store, token)).toEqual({ userId: await userId(), email: 'Ada@example.com' });

    await pg.store.query(
      "INSERT INTO user_sessions (user_id, token_hash, expires_at) VALUES ($1, '\\x01', now() + interval '1 day'), ($1, '\\x02', now() + interval '1 day')",
      [await userId()],
    );
    const outcome = await resetPassword(pg.store, token, 'new-password-2');
    expect(outcome).toEqual({ ok: true, userId: await userId(), email: 'Ada@example.com', endedSessions: 2 });
    const [user] = await pg.store.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [await userId()]);
    expect(await verifyPassword('new-password-2', user!.password_hash)).toBe(true);
    expect(await verifyPassword('old-password-1', user!.password_hash)).toBe(false);
    expect(await pg.store.query('SELECT id FROM user_sessions')).toHaveLength(0);

    // Single use.
    expect(await resetPassword(pg.store, token, 'third-password-3')).toEqual({ ok: false, reason: 'invalid-token' });
    expect(await findResetToken(pg.store, token)).toBeUndefined();
    expect((await lastSendResults(pg.store)).last).toMatchObject({ ok: true, kind: 'password-reset' });
  });

  it('an unknown address gets the same answer, and no mail and no token', async () => {
    const before = smtp.received.length;
    const tokensBefore = (await pg.store.query('SELECT id FROM password_reset_tokens')).length;
    const request = await requestPasswordReset(pg.store, { email: 'nobody@example.com', baseUrl: BASE_URL, smtp: settings });
    expect(request.message).toBe(RESET_REQUESTED_MESSAGE);
    await request.delivery;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received.length).toBe(before);
    expect(await pg.store.query('SELECT id FROM password_reset_tokens')).toHaveLength(tokensBefore);
  });

  it('an expired token is refused', async () => {
    const token = await requestAndReceive('ada@example.com');
    await pg.store.query("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'");
    expect(await findResetToken(pg.store, token)).toBeUndefined();
    expect(await resetPassword(pg.store, token, 'new-password-4')).toEqual({ ok: false, reason: 'invalid-token' });
  });

  it('a newer request replaces the older link; a too-short password does not spend the token', async () => {
    const first = await requestAndReceive('ada@example.com');
    const second = await requestAndReceive('ada@example.com');
    expect(await findResetToken(pg.store, first)).toBeUndefined();
    await expect(resetPassword(pg.store, second, 'short')).rejects.toThrow(/too short/);
    expect(await findResetToken(pg.store, second)).toBeDefined();
    expect(await resetPassword(pg.store, second, 'long-enough-5')).toMatchObject({ ok: true });
  });

  it('a send failure is recorded for the health check, and the requester still gets the same answer', async () => {
    const errors: unknown[] = [];
    const request = await requestPasswordReset(pg.store, {
      email: 'ada@example.com',
      baseUrl: BASE_URL,
      smtp: { ...settings, password: 'wrong' },
      onError: (error) => errors.push(error),
    });
    expect(request.message).toBe(RESET_REQUESTED_MESSAGE);
    await request.delivery;
    expect(errors).toHaveLength(1);
    const { last, lastSuccess } = await lastSendResults(pg.store);
    expect(last).toMatchObject({ ok: false, kind: 'password-reset', error: expect.stringMatching(/535|Invalid/) });
    expect(lastSuccess).toMatchObject({ ok: true });
  });
});
