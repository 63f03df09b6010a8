import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../../src/lib/health/index.js';
import { recordSendResult } from '../../../src/lib/mail/last-send.js';
import { runCli } from '../../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../../helpers/fixtures.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;

function writeEnv(values: Record<string, string>): void {
  writeFileSync(path.join(temp.path, '.env'), Object.entries({ DATA_DIR: './data', ...values }).map(([k, v]) => `${k}="${v}"`).join('\n'), { mode: 0o600 });
}

beforeAll(async () => {
  temp = await makeTempDir('analytics-mail-health-');
  await prepareDataDir(path.join(temp.path, 'data'), []);
  await withDataDir(path.join(temp.path, 'data'), async (stores) => {
    await recordSendResult(stores.postgres, { ok: true, kind: 'report', detail: '2 of 2 delivered' });
    await recordSendResult(stores.postgres, { ok: false, kind: 'password-reset', detail: 'password reset link', error: '535 5.7.8 Authentication failed' });
  });
}, 120_000);
afterAll(async () => temp?.remove());

describe('analytics health --check mail', () => {
  it('WARNING (exit 1) after a failed send, quoting the error and pointing at mail test', async () => {
    writeEnv({ MAILER_ADAPTER: 'smtp', MAILER_EMAIL: 'stats@example.com', SMTP_HOST_ADDR: 'smtp.example.com' });
    const run = await runCli(['health', '--check', 'mail', '--json'], { cwd: temp.path });
    expect(run.exitCode, run.stderr).toBe(1);
    const report = run.json<CheckReport>();
    expect(report.status).toBe('WARNING');
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({
      name: 'mail',
      status: 'WARNING',
      value: expect.stringMatching(/^last send failed /),
      message: expect.stringContaining('535 5.7.8 Authentication failed'),
      next: expect.stringContaining('analytics mail test'),
    });
  }, 60_000);

  it('OK with mail off', async () => {
    writeEnv({ MAILER_ADAPTER: 'none' });
    const run = await runCli(['health', '--check', 'mail', '--json'], { cwd: temp.path });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json<CheckReport>().checks[0]).toMatchObject({ name: 'mail', status: 'OK', value: 'mail off (MAILER_ADAPTER=none)' });
  }, 60_000);
});
