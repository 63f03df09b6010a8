import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupListResult } from '../../../src/commands/backup/list.js';
import type { BackupPruneResult } from '../../../src/lib/backup/catalog.js';
import type { BackupVerifyResult } from '../../../src/lib/backup/catalog.js';
import type { BackupCreateResult } from '../../../src/lib/backup/create.js';
import type { RestoreResult } from '../../../src/lib/backup/restore.js';
import type { ErrorJson } from '../../../src/lib/cli/errors.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { snapshot, withOpenStores, type StoreSnapshot } from '../../lib/backup/fixtures.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'hold-backup-lock.ts');
const VITE_NODE = join(process.cwd(), 'node_modules', '.bin', 'vite-node');

describe('analytics backup create|list|verify|prune and restore (embedded, as cron and scripts run them)', () => {
  const root = tempDir('analytics-backup-cli-');
  const dataDir = join(root, 'data');
  const backupDir = join(root, 'backups');
  const env = { DATA_DIR: dataDir, BACKUP_DIR: backupDir };
  let before: StoreSnapshot;
  let plain: BackupCreateResult;
  let identityFile: string;
  let encrypted: BackupCreateResult;

  const expectError = (run: { exitCode: number; stdout: string }, code: string, exitCode = 1) => {
    expect(run.exitCode).toBe(exitCode);
    const { error } = JSON.parse(run.stdout) as { error: ErrorJson };
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(20);
    return error;
  };
  const untouched = async () => expect(await withOpenStores({ dataDir }, snapshot)).toEqual(before);

  beforeAll(async () => {
    expect((await runCli(['db', 'migrate'], { env })).exitCode).toBe(0);
    expect((await runCli(['db', 'seed', '--events', '5000'], { env })).exitCode).toBe(0);
    before = await withOpenStores({ dataDir }, snapshot);
    const identity = await generateIdentity();
    identityFile = join(root, 'key.txt');
    writeFileSync(identityFile, `# created: test\n${identity}\n`, { mode: 0o600 });
    writeFileSync(join(root, 'recipient.txt'), await identityToRecipient(identity));
  }, 180_000);
  afterAll(() => undefined);

  it('create is silent on success without a terminal (cron mails only failures) and writes archive + sidecar', async () => {
    const run = await runCli(['backup', 'create'], { env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    const files = readdirSync(backupDir);
    const archive = files.find((f) => /^analytics-\d{8}T\d{6}Z\.tar\.(zst|gz)$/.test(f));
    expect(archive).toBeDefined();
    expect(files).toContain(`${archive}.json`);
    expect(files.some((f) => f.includes('.partial-'))).toBe(false);
    expect(statSync(join(backupDir, archive as string)).mode & 0o777).toBe(0o600);
  });

  it('create --json returns the typed result (contract)', async () => {
    const run = await runCli(['backup', 'create', '--json'], { env });
    expect(run.exitCode).toBe(0);
    plain = run.json<BackupCreateResult>();
    expect(Object.keys(plain).sort()).toEqual(
      ['bytes', 'compression', 'createdAt', 'durationMs', 'encrypted', 'migrations', 'mode', 'name', 'path', 'sha256', 'tables', 'viaServer', 'watermark'].sort(),
    );
    expect(plain).toMatchObject({ mode: 'embedded', compression: 'zstd', encrypted: false, viaServer: false });
    expect(plain.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(plain.tables).toContainEqual({ store: 'clickhouse', name: 'events', rows: before.clickhouse.events?.rows });
    expect(plain.watermark).toMatchObject({ spoolFlushed: false });
    expect(existsSync(plain.path)).toBe(true);
  });

  it('create --recipient encrypts with age; verify and restore need the matching identity', async () => {
    const recipient = readFileSync(join(root, 'recipient.txt'), 'utf8').trim();
    const run = await runCli(['backup', 'create', '--recipient', recipient, '--json'], { env });
    expect(run.exitCode).toBe(0);
    encrypted = run.json<BackupCreateResult>();
    expect(encrypted.encrypted).toBe(true);
    expect(encrypted.name).toMatch(/\.tar\.zst\.age$/);
    expect(readFileSync(encrypted.path).subarray(0, 21).toString()).toBe('age-encryption.org/v1');

    const verify = await runCli(['backup', 'verify', encrypted.name, '--identity', identityFile, '--json'], { env });
    expect(verify.exitCode).toBe(0);
    expect(verify.json<BackupVerifyResult>().ok).toBe(true);

    const noKey = await runCli(['restore', encrypted.name, '--force', '--json'], { env });
    expectError(noKey, 'BACKUP_IDENTITY_NEEDED');
    await untouched();
  });

  it('a wrong identity fails clearly and leaves the data untouched', async () => {
    const other = join(root, 'other-key.txt');
    writeFileSync(other, `${await generateIdentity()}\n`);
    const run = await runCli(['restore', encrypted.name, '--identity', other, '--force', '--json'], { env });
    const error = expectError(run, 'BACKUP_WRONG_IDENTITY');
    expect(error.message).toMatch(/identit/);
    await untouched();
  });

  it('an archive with one flipped byte is refused before anything is changed (plain and encrypted)', async () => {
    for (const source of [plain, encrypted]) {
      const copy = join(root, `flipped-${source.name}`);
      copyFileSync(source.path, copy);
      const bytes = readFileSync(copy);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] as number) ^ 0x01;
      writeFileSync(copy, bytes);
      const args = ['restore', copy, '--force', '--json', ...(source.encrypted ? ['--identity', identityFile] : [])];
      const error = expectError(await runCli(args, { env }), 'BACKUP_CORRUPT');
      expect(error.message).toContain('damaged');
      await untouched();
    }
  });

  it('a truncated archive is refused (cut in the middle and just before the end)', async () => {
    const bytes = readFileSync(plain.path);
    for (const keep of [Math.floor(bytes.length / 2), bytes.length - 40]) {
      const copy = join(root, `truncated-${keep}.tar.zst`);
      writeFileSync(copy, bytes.subarray(0, keep));
      expectError(await runCli(['restore', copy, '--force', '--json'], { env }), 'BACKUP_CORRUPT');
    }
    await untouched();
  });

  it('a missing archive names the list command; a non-empty target needs --force', async () => {
    const missing = expectError(await runCli(['restore', 'analytics-19990101T000000Z', '--json'], { env }), 'BACKUP_NOT_FOUND');
    expect(missing.actions.join(' ')).toContain('backup list');
    const notEmpty = expectError(await runCli(['restore', plain.name, '--json'], { env }), 'RESTORE_TARGET_NOT_EMPTY');
    expect(notEmpty.actions.join(' ')).toContain('--force');
    await untouched();
  });

  it('a second backup while one runs exits 5 with a clear message and writes nothing', async () => {
    const holder: ChildProcess = spawn(VITE_NODE, [FIXTURE, backupDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
      });
      const filesBefore = readdirSync(backupDir).sort();
      const run = await runCli(['backup', 'create'], { env });
      expect(run.exitCode).toBe(5);
      expect(run.stderr).toMatch(/Another backup is running \(process \d+/);
      expect(readdirSync(backupDir).sort()).toEqual(filesBefore);
      const json = await runCli(['backup', 'create', '--json'], { env });
      expectError(json, 'BACKUP_BUSY', 5);
    } finally {
      holder.stdin?.end();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
  });

  it('list --json shows name, time, size, mode and verified (contract)', async () => {
    const verify = await runCli(['backup', 'verify', plain.name, '--json'], { env });
    expect(verify.exitCode).toBe(0);
    const verified = verify.json<BackupVerifyResult>();
    expect(verified).toMatchObject({ name: plain.name, ok: true });
    expect(verified.tables.every((t) => t.checksumMatches)).toBe(true);

    const run = await runCli(['backup', 'list', '--json'], { env });
    expect(run.exitCode).toBe(0);
    const list = run.json<BackupListResult>();
    expect(list.backups.length).toBe(3);
    const entry = list.backups.find((b) => b.name === plain.name);
    expect(entry).toMatchObject({ name: plain.name, path: plain.path, createdAt: plain.createdAt, bytes: plain.bytes, mode: 'embedded', verified: true });
    expect(list.backups.map((b) => b.createdAt)).toEqual([...list.backups.map((b) => b.createdAt)].sort().reverse());
  });

  it('prune --dry-run deletes nothing and never plans to delete the newest verified backup', async () => {
    const run = await runCli(['backup', 'prune', '--keep-daily', '0', '--keep-weekly', '0', '--keep-monthly', '0', '--dry-run', '--json'], { env });
    expect(run.exitCode).toBe(0);
    const result = run.json<BackupPruneResult>();
    expect(result.dryRun).toBe(true);
    expect(result.kept.map((k) => k.name)).toContain(encrypted.name); // verified last, so the newest verified
    expect(result.kept.find((k) => k.name === encrypted.name)?.reasons).toContain('newest verified');
    expect(result.deleted.length).toBe(2);
    expect(readdirSync(backupDir).filter((f) => f.endsWith('.json')).length).toBe(3);

    const real = await runCli(['backup', 'prune', '--keep-daily', '0', '--keep-weekly', '0', '--keep-monthly', '0', '--json'], { env });
    expect(real.json<BackupPruneResult>().deleted.length).toBe(2);
    expect(existsSync(encrypted.path)).toBe(true);
    expect(existsSync(plain.path)).toBe(false);
  });

  it('restore --force of a backup into a wiped data dir gives back the same data (--json contract)', async () => {
    const fresh = { ...env, DATA_DIR: join(root, 'fresh') };
    const run = await runCli(['restore', encrypted.path, '--identity', identityFile, '--json'], { env: fresh });
    expect(run.exitCode).toBe(0);
    const result = run.json<RestoreResult>();
    expect(Object.keys(result).sort()).toEqual(
      ['archive', 'backupMigrations', 'createdAt', 'durationMs', 'fromMode', 'migratedForward', 'tables', 'toMode', 'viaServer', 'watermark'].sort(),
    );
    expect(result).toMatchObject({ fromMode: 'embedded', toMode: 'embedded', viaServer: false, migratedForward: 0 });
    expect(await withOpenStores({ dataDir: join(root, 'fresh') }, snapshot)).toEqual(before);
  });

  it('verify and list accept an archive of the previous format (Postgres rows as JSON lines)', async () => {
    const oldDir = join(root, 'old-format');
    mkdirSync(oldDir);
    const name = 'analytics-20261120T120000Z.tar.gz';
    copyFileSync(join(import.meta.dirname, '..', '..', 'lib', 'backup', 'archives', 'format-1-embedded.tar.gz'), join(oldDir, name));
    const oldEnv = { ...env, BACKUP_DIR: oldDir };
    const verify = await runCli(['backup', 'verify', name, '--json'], { env: oldEnv });
    expect(verify.exitCode, verify.stdout).toBe(0);
    const verified = verify.json<BackupVerifyResult>();
    expect(verified).toMatchObject({ name, ok: true });
    expect(verified.tables.find((t) => t.name === 'events')).toMatchObject({ rows: 402, checksumMatches: true });
    const list = (await runCli(['backup', 'list', '--json'], { env: oldEnv })).json<BackupListResult>();
    expect(list.backups).toEqual([expect.objectContaining({ name, mode: 'embedded', verified: true })]);
  });
});
