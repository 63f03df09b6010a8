/**
 * Password reset through the server's pages, as a browser does it (forms, cookies, CSRF tokens): the
 * link arrives at a real SMTP server, sets the password once, and ends the sessions that were open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESET_REQUESTED_MESSAGE } from '../../src/lib/accounts/password-reset.js';
import { createUser } from '../../src/lib/accounts/users.js';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';
import { SMTP_PASSWORD, SMTP_USER, makeTestCertificate, startTestSmtpServer, type TestCertificate, type TestSmtpServer } from '../helpers/smtp.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

let temp: TempDir;
let certificate: TestCertificate;
let smtp: TestSmtpServer;
let server: ServerProcess;

beforeAll(async () => {
  temp = await makeTempDir('analytics-reset-');
  certificate = makeTestCertificate();
  smtp = await startTestSmtpServer({ tls: 'starttls', certificate });
  await prepareDataDir(temp.path, []);
  await withDataDir(temp.path, (stores) => createUser(stores.postgres, { email: 'ada@example.com', name: 'Ada', password: 'old-password-1', isAdmin: true }));
  server = await spawnServer({
    DATA_DIR: temp.path,
    MAILER_ADAPTER: 'smtp',
    MAILER_EMAIL: 'stats@example.com',
    SMTP_HOST_ADDR: smtp.host,
    SMTP_HOST_PORT: String(smtp.port),
    SMTP_USER_NAME: SMTP_USER,
    SMTP_USER_PWD: SMTP_PASSWORD,
    NODE_EXTRA_CA_CERTS: certificate.certPath,
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await smtp?.close();
  certificate?.remove();
  await temp?.remove();
});

/** A form page: its CSRF field and the cookie that goes with it. */
async function openForm(path: string): Promise<{ status: number; html: string; token: string; cookie: string }> {
  const response = await fetch(server.url + path, { redirect: 'manual' });
  const html = await response.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const cookie = (response.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  return { status: response.status, html, token, cookie };
}

async function submit(path: string, form: { token: string; cookie: string }, fields: Record<string, string>, cookies: string[] = []) {
  return fetch(server.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [form.cookie, ...cookies].join('; '), origin: server.url },
    body: new URLSearchParams({ _csrf: form.token, ...fields }).toString(),
  });
}

async function logIn(password: string): Promise<{ status: number; session?: string }> {
  const form = await openForm('/login');
  const response = await submit('/login', form, { email: 'ada@example.com', password });
  const session = response.headers.getSetCookie().find((c) => c.startsWith('analytics_session='))?.split(';')[0];
  return { status: response.status, ...(session ? { session } : {}) };
}

const notice = (html: string) => /data-testid="reset-notice">([^<]*)</.exec(html)?.[1];

describe('password reset from the login page', () => {
  it('the login page links to it; same answer for known and unknown addresses; the link works once and ends sessions', async () => {
    expect((await openForm('/login')).html).toContain('href="/password-reset"');
    const before = await logIn('old-password-1');
    expect(before.status).toBe(303);

    const unknownForm = await openForm('/password-reset');
    const unknown = await submit('/password-reset', unknownForm, { email: 'nobody@example.com' });
    const knownForm = await openForm('/password-reset');
    const known = await submit('/password-reset', knownForm, { email: 'ADA@example.com' });
    expect(unknown.status).toBe(known.status);
    const [unknownHtml, knownHtml] = [await unknown.text(), await known.text()];
    expect(notice(knownHtml)).toBe(RESET_REQUESTED_MESSAGE.replace(/'/g, '&#39;'));
    expect(notice(unknownHtml)).toBe(notice(knownHtml));

    const [mail] = await smtp.waitFor(1);
    expect(mail?.to).toEqual(['ada@example.com']);
    const path = /https?:\/\/[^/\s]+(\/password-reset\/[\w-]{43})/.exec(mail?.parsed.text ?? '')?.[1];
    expect(path, mail?.parsed.text).toBeDefined();

    const resetForm = await openForm(path as string);
    expect(resetForm.status).toBe(200);
    expect(resetForm.html).toContain('ada@example.com');
    const noToken = await submit(path as string, { token: '', cookie: '' }, { password: 'new-password-2', confirm: 'new-password-2' });
    expect(noToken.status).toBe(403);
    const differ = await submit(path as string, resetForm, { password: 'new-password-2', confirm: 'other-password' });
    expect(differ.status).toBe(422);
    const form2 = await openForm(path as string);
    const done = await submit(path as string, form2, { password: 'new-password-2', confirm: 'new-password-2' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('data-testid="reset-done"');

    expect((await openForm(path as string)).status).toBe(404);
    expect((await logIn('old-password-1')).status).toBe(401);
    expect((await logIn('new-password-2')).status).toBe(303);
    // The session opened before the reset is gone.
    const old = await fetch(`${server.url}/sites`, { redirect: 'manual', headers: { cookie: before.session ?? '' } });
    expect(old.status).toBe(303);
    expect(old.headers.get('location')).toContain('/login');
  }, 120_000);
});
