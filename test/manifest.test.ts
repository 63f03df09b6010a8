import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './helpers/cli.js';

describe('oclif.manifest.json', () => {
  it('is committed up to date with the commands (the build regenerates it; a diff means it was stale)', async () => {
    expect(existsSync(path.join(projectRoot, '.git')), 'the manifest check needs the git checkout').toBe(true);
    const diff = await execa('git', ['diff', '--stat', '--', 'oclif.manifest.json'], { cwd: projectRoot });
    expect(diff.stdout, 'run `npm run build` and commit oclif.manifest.json').toBe('');
    const tracked = await execa('git', ['ls-files', 'oclif.manifest.json'], { cwd: projectRoot });
    expect(tracked.stdout.trim()).toBe('oclif.manifest.json');
  });
});
