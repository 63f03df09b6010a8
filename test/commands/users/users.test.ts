import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../../src/lib/accounts/password.js';
import { openStores } from '../../../src/lib/storage/open.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface User {
  id: number;
  email: string;
  name: string;
  isAdmin: boolean;
  createdAt: string;
}
interface ErrorOutput {
  error: { code: string; kind: string; message: string; exitCode: number; actions: string[] };
}

describe('users add / list / password (embedded stores)', () => {
  let temp: TempDir;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { env, cwd: temp.path });
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    temp = await makeTempDir('analytics-users-');
    env = { DATA_DIR: path.join(temp.path, 'data') };
    const migrated = await cli('db', 'migrate');
    expect(migrated.exitCode, migrated.stderr).toBe(0);
  });
  afterAll(async () => {
    await temp?.remove();
  });

  it('adds a user with a generated password shown once', async () => {
    const run = await cli('users', 'add', '--email', 'Ada@Example.com', '--name', 'Ada Lovelace', '--admin', '--json');
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json<{ user: User; generatedPassword: string }>();
    expect(result.user).toMatchObject({ email: 'Ada@Example.com', name: 'Ada Lovelace', isAdmin: true });
    expect(Object.keys(result.user).sort()).toEqual(['createdAt', 'email', 'id', 'isAdmin', 'name']);
    expect(result.generatedPassword).toMatch(/^[\w-]{24}$/);
    passwords['Ada@Example.com'] = result.generatedPassword;

    const text = await cli('users', 'add', '--email', 'bob@example.com', '--name', 'Bob', '--password', 'bobs long password');
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('Created user bob@example.com');
    expect(text.stdout).not.toContain('shown once');
    passwords['bob@example.com'] = 'bobs long password';
  });

  it('refuses a duplicate email in any letter case, a weak password and a bad email', async () => {
    const duplicate = await cli('users', 'add', '--email', 'ADA@example.COM', '--name', 'Other');
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('A user with the email ADA@example.COM already exists; nothing was changed');
    expect(duplicate.stderr).toContain('analytics users password');

    const json = await cli('users', 'add', '--email', 'bob@example.com', '--name', 'Bob', '--json');
    expect(json.json<ErrorOutput>().error).toMatchObject({ code: 'DUPLICATE_EMAIL', exitCode: 1 });

    const weak = await cli('users', 'add', '--email', 'eve@example.com', '--name', 'Eve', '--password', 'short', '--json');
    expect(weak.exitCode).toBe(1);
    expect(weak.json<ErrorOutput>().error.code).toBe('WEAK_PASSWORD');

    expect((await cli('users', 'add', '--email', 'nope', '--name', 'N', '--json')).json<ErrorOutput>().error.code).toBe('INVALID_EMAIL');
    expect((await cli('users', 'add', '--email', 'x@example.com')).exitCode, 'missing --name').toBe(2);
  });

  it('lists users as a table and as JSON, without password hashes', async () => {
    const table = await cli('users', 'list');
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+EMAIL\s+NAME\s+ADMIN\s+CREATED$/m);
    expect(table.stdout).toMatch(/Ada@Example\.com\s+Ada Lovelace\s+yes/);
    expect(table.stdout).toMatch(/bob@example\.com\s+Bob\s+no/);

    const json = await cli('users', 'list', '--json');
    const { users } = json.json<{ users: User[] }>();
    expect(users.map((u) => [u.email, u.isAdmin])).toEqual([
      ['Ada@Example.com', true],
      ['bob@example.com', false],
    ]);
    expect(json.stdout).not.toMatch(/scrypt|password/i);
  });

  it('sets a password, generated or given, and refuses an unknown email', async () => {
    const generated = await cli('users', 'password', 'ada@example.com', '--json');
    expect(generated.exitCode, generated.stderr).toBe(0);
    const result = generated.json<{ user: User; generatedPassword: string }>();
    expect(result.user.email).toBe('Ada@Example.com');
    expect(result.generatedPassword).toMatch(/^[\w-]{24}$/);
    expect(result.generatedPassword).not.toBe(passwords['Ada@Example.com']);
    passwords['Ada@Example.com'] = result.generatedPassword;

    const given = await cli('users', 'password', 'bob@example.com', '--password', 'a new long password');
    expect(given.exitCode, given.stderr).toBe(0);
    expect(given.stdout).toContain('Set a new password for bob@example.com');
    passwords['bob@example.com'] = 'a new long password';

    const unknown = await cli('users', 'password', 'nobody@example.com', '--json');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.json<ErrorOutput>().error).toMatchObject({ code: 'UNKNOWN_USER', actions: ['analytics users list'] });
  });

  it('stores passwords only as scrypt hashes that verify', async () => {
    const stores = await openStores({ dataDir: env.DATA_DIR as string });
    try {
      const rows = await stores.postgres.query<{ email: string; password_hash: string }>(
        'SELECT email, password_hash FROM users ORDER BY id',
      );
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const password = passwords[row.email] as string;
        expect(row.password_hash).toMatch(/^scrypt\$/);
        expect(row.password_hash).not.toContain(password);
        expect(await verifyPassword(password, row.password_hash), row.email).toBe(true);
      }
    } finally {
      await stores.close();
    }
  });
});
