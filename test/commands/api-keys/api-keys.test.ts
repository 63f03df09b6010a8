import type { ApiKey } from '../../../src/lib/api-keys/keys.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyApiKey } from '../../../src/lib/api-keys/keys.js';
import { openStores } from '../../../src/lib/storage/open.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface ErrorOutput {
  error: { code: string; kind: string; message: string; exitCode: number; actions: string[] };
}

const KEY_FIELDS = ['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'rateLimitPerHour', 'revokedAt', 'scopes', 'userEmail', 'userId'];

describe('api-keys create / list / revoke (embedded stores)', () => {
  let temp: TempDir;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { env, cwd: temp.path });
  const created: { key: string; apiKey: ApiKey }[] = [];

  beforeAll(async () => {
    temp = await makeTempDir('analytics-api-keys-');
    env = { DATA_DIR: path.join(temp.path, 'data') };
    const migrated = await cli('db', 'migrate');
    expect(migrated.exitCode, migrated.stderr).toBe(0);
  });
  afterAll(async () => {
    await temp?.remove();
  });

  it('needs an owner: the first admin by default', async () => {
    const run = await cli('api-keys', 'create', '--name', 'grafana', '--json');
    expect(run.exitCode).toBe(1);
    expect(run.json<ErrorOutput>().error).toMatchObject({ code: 'NO_ADMIN' });
    expect(run.json<ErrorOutput>().error.actions[0]).toContain('analytics db init-admin');

    const admin = await cli('db', 'init-admin', '--email', 'admin@example.com', '--password', 'long admin password');
    expect(admin.exitCode, admin.stderr).toBe(0);
    const user = await cli('users', 'add', '--email', 'ada@example.com', '--name', 'Ada', '--password', 'long ada password');
    expect(user.exitCode, user.stderr).toBe(0);
  });

  it('creates a key and shows it once', async () => {
    const run = await cli('api-keys', 'create', '--name', 'grafana', '--json');
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json<{ key: string; apiKey: ApiKey }>();
    expect(result.key).toMatch(/^anl_[\w-]{43}$/);
    expect(Object.keys(result.apiKey).sort()).toEqual(KEY_FIELDS);
    expect(result.apiKey).toMatchObject({
      name: 'grafana',
      prefix: result.key.slice(0, 12),
      userEmail: 'admin@example.com',
      scopes: ['stats:read:*'],
      rateLimitPerHour: 600,
      lastUsedAt: null,
      revokedAt: null,
    });
    created.push(result);

    const text = await cli('api-keys', 'create', '--name', 'reports', '--user', 'ADA@example.com');
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('cannot be shown again');
    const key = /(anl_[\w-]{43})/.exec(text.stdout)?.[1] as string;
    expect(key).toBeDefined();
    created.push({ key, apiKey: { prefix: key.slice(0, 12) } as ApiKey });

    const unknownUser = await cli('api-keys', 'create', '--name', 'x', '--user', 'nobody@example.com', '--json');
    expect(unknownUser.json<ErrorOutput>().error.code).toBe('UNKNOWN_USER');
    expect((await cli('api-keys', 'create')).exitCode, 'missing --name').toBe(2);
  });

  it('lists keys by prefix, never the key itself', async () => {
    const json = await cli('api-keys', 'list', '--json');
    expect(json.exitCode, json.stderr).toBe(0);
    const { apiKeys } = json.json<{ apiKeys: ApiKey[] }>();
    expect(apiKeys.map((k) => [k.name, k.userEmail, k.prefix])).toEqual([
      ['grafana', 'admin@example.com', created[0]?.apiKey.prefix],
      ['reports', 'ada@example.com', created[1]?.apiKey.prefix],
    ]);
    expect(Object.keys(apiKeys[0] ?? {}).sort()).toEqual(KEY_FIELDS);

    const table = await cli('api-keys', 'list');
    expect(table.stdout).toMatch(/^ID\s+PREFIX\s+NAME\s+USER\s+CREATED\s+LAST USED\s+STATUS$/m);
    for (const output of [json.stdout, table.stdout]) {
      for (const { key } of created) expect(output).not.toContain(key.slice(12));
    }
  });

  it('revokes a key by prefix only with --force; revoking again changes nothing', async () => {
    const first = created[0] as { key: string; apiKey: ApiKey };
    const refused = await cli('api-keys', 'revoke', first.apiKey.prefix, '--json');
    expect(refused.exitCode).toBe(2);
    expect(refused.json<ErrorOutput>().error.code).toBe('CONFIRMATION_NEEDED');

    const revoked = await cli('api-keys', 'revoke', first.apiKey.prefix, '--force', '--json');
    expect(revoked.exitCode, revoked.stderr).toBe(0);
    const result = revoked.json<{ apiKey: ApiKey; alreadyRevoked: boolean }>();
    expect(result.alreadyRevoked).toBe(false);
    expect(result.apiKey).toMatchObject({ id: first.apiKey.id, name: 'grafana' });
    expect(Date.parse(result.apiKey.revokedAt as string)).not.toBeNaN();

    const again = await cli('api-keys', 'revoke', String(first.apiKey.id), '--force');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('already revoked');

    const unknown = await cli('api-keys', 'revoke', '999', '--force', '--json');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.json<ErrorOutput>().error.code).toBe('UNKNOWN_API_KEY');
    expect((await cli('api-keys', 'revoke', 'x', '--force', '--json')).json<ErrorOutput>().error.code).toBe('INVALID_KEY_REFERENCE');

    const table = await cli('api-keys', 'list');
    expect(table.stdout).toMatch(/grafana\s+admin@example\.com.*revoked/);
    expect(table.stdout).toMatch(/reports\s+ada@example\.com.*active/);
  });

  it('stores only a SHA-256 of each key; verifyApiKey accepts active keys only', async () => {
    const stores = await openStores({ dataDir: env.DATA_DIR as string });
    try {
      const rows = await stores.postgres.query<Record<string, unknown>>('SELECT * FROM api_keys ORDER BY id');
      expect(rows).toHaveLength(2);
      rows.forEach((row, i) => {
        const { key } = created[i] as { key: string };
        expect(Buffer.from(row.key_hash as Uint8Array).equals(createHash('sha256').update(key).digest())).toBe(true);
        expect(row.key_prefix).toBe(key.slice(0, 12));
        const everything = JSON.stringify(row, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : v));
        expect(everything).not.toContain(key.slice(12));
      });

      const [revoked, active] = created as [typeof created[0], typeof created[0]];
      expect(await verifyApiKey(stores.postgres, revoked.key)).toBeUndefined();
      // One character changed (a key ending in 'A' already would make 'A' no change: a 1-in-64 flake).
      const tampered = `${active.key.slice(0, -1)}${active.key.endsWith('A') ? 'B' : 'A'}`;
      expect(await verifyApiKey(stores.postgres, tampered)).toBeUndefined();
      expect(await verifyApiKey(stores.postgres, 'Bearer nonsense')).toBeUndefined();
      const verified = await verifyApiKey(stores.postgres, active.key);
      expect(verified).toMatchObject({ keyId: Number(rows[1]?.id), userId: Number(rows[1]?.user_id), rateLimitPerHour: 600 });
      const [used] = await stores.postgres.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [
        verified?.keyId,
      ]);
      expect(used?.last_used_at).toBeInstanceOf(Date);
    } finally {
      await stores.close();
    }
  });
});
