import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binRun, projectRoot, tempDir } from '../helpers/cli.js';
import { spawnServer } from '../helpers/server.js';

// The server's Node flags (bin/run.js explains why) live in every way it is started; these keep them in step.
const shebang = readFileSync(binRun, 'utf8').split('\n')[0] ?? '';
const flags = /^#!\/usr\/bin\/env -S node( --\S+)*$/.test(shebang) ? shebang.split(' ').slice(3) : [];
const template = (file: string) => readFileSync(path.join(projectRoot, 'templates', file), 'utf8');

describe('the Node flags the server runs with', () => {
  it('bin/run.js carries them in its #! line (env -S)', () => {
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node /);
    expect(flags).toContain('--v8-pool-size=1');
  });

  it('the Docker image and the systemd unit pass the same flags', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(template('docker/Dockerfile'))?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...flags, '/app/bin/run.js']);
    expect(template('systemd/analytics.service')).toMatch(new RegExp(`^ExecStart=\\{\\{node\\}\\} ${flags.join(' ')} \\{\\{bin\\}\\} start `, 'm'));
  });

  it('`./bin/run.js start` runs Node with them', async () => {
    const server = await spawnServer({ DATA_DIR: path.join(tempDir(), 'data') });
    try {
      const cmdline = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline.slice(0, flags.length + 2)).toEqual([expect.stringMatching(/(^|\/)node$/), ...flags, binRun]);
      expect(cmdline).toContain('start');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
