import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/cli.js';

// ClickHouse renices its merge threads only with CAP_SYS_NICE; the store does it for an unprivileged
// server. Seeing that needs an unprivileged process: run as root, the test starts one with runuser.
const isRoot = process.getuid?.() === 0;
const hasRunuser = spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status === 0;
const why = !isRoot ? 'needs root to start an unprivileged child (runuser)' : 'runuser (util-linux) is not installed';
if (!isRoot || !hasRunuser) console.warn(`merge-thread-priority.test.ts skipped: ${why}`);

describe('chDB merge threads of an unprivileged server', () => {
  it.skipIf(!isRoot || !hasRunuser)('run at nice 10 although ClickHouse cannot renice them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'analytics-merge-nice-'));
    chmodSync(dir, 0o777);
    try {
      const result = spawnSync(
        'runuser',
        ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', 'test/lib/storage/fixtures/merge-threads.ts', path.join(dir, 'ch'), '12'],
        { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 },
      );
      expect(result.status, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { uid: number; partsLeft: number; now: number[] };
      expect(report.uid).not.toBe(0);
      // The 12 inserted parts were merged, so merge threads ran.
      expect(report.partsLeft).toBeLessThan(12);
      expect(report.now.length).toBeGreaterThan(0);
      expect(report.now.every((nice) => nice === 10)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
