import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { prepareDataDir } from '../../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../../helpers/server.js';

interface Goal {
  id: number;
  siteId: number;
  domain: string;
  eventName: string | null;
  pagePath: string | null;
  displayName: string;
  createdAt: string;
}
interface ErrorOutput {
  error: { code: string; kind: string; message: string; exitCode: number; actions: string[] };
}

describe('goals add / list / remove', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    dataDir = path.join(tempDir('analytics-goals-'), 'data');
    await prepareDataDir(dataDir, ['example.com', 'other.example']);
    env = { DATA_DIR: dataDir };
  });

  it('adds event and page goals (--json is the typed result)', async () => {
    const event = await cli('goals', 'add', '--site', 'example.com', '--event', 'Signup', '--json');
    expect(event.exitCode, event.stderr).toBe(0);
    const { goal } = event.json<{ goal: Goal }>();
    expect(goal).toMatchObject({ domain: 'example.com', eventName: 'Signup', pagePath: null, displayName: 'Signup' });
    expect(goal.id).toBeGreaterThan(0);
    expect(Date.parse(goal.createdAt)).not.toBeNaN();

    const page = await cli('goals', 'add', '--site', 'www.Example.com', '--page', '/blog/**');
    expect(page.exitCode, page.stderr).toBe(0);
    expect(page.stdout).toContain('Added the goal "Visit /blog/**" to example.com');
  });

  it('refuses duplicates, bad paths, pageview as an event, unknown sites, and both or neither flag', async () => {
    const dup = await cli('goals', 'add', '--site', 'example.com', '--event', 'Signup', '--json');
    expect(dup.exitCode).toBe(1);
    expect(dup.json<ErrorOutput>().error).toMatchObject({ code: 'DUPLICATE_GOAL', actions: ['analytics goals list --site example.com'] });
    expect((await cli('goals', 'add', '--site', 'example.com', '--page', 'blog', '--json')).json<ErrorOutput>().error.code).toBe('INVALID_GOAL');
    expect((await cli('goals', 'add', '--site', 'example.com', '--event', 'pageview', '--json')).json<ErrorOutput>().error.code).toBe('INVALID_GOAL');
    const unknown = await cli('goals', 'add', '--site', 'nowhere.example', '--event', 'X', '--json');
    expect(unknown.json<ErrorOutput>().error).toMatchObject({ code: 'UNKNOWN_SITE', actions: ['analytics sites list'] });
    expect((await cli('goals', 'add', '--site', 'example.com', '--event', 'X', '--page', '/x')).exitCode).toBe(2);
    expect((await cli('goals', 'add', '--site', 'example.com')).exitCode).toBe(2);
    expect((await cli('goals', 'list')).exitCode, '--site is required').toBe(2);
  });

  it('lists the goals of one site', async () => {
    const list = await cli('goals', 'list', '--site', 'example.com', '--json');
    expect(list.exitCode).toBe(0);
    expect(list.json<{ goals: Goal[] }>().goals.map((g) => g.displayName)).toEqual(['Signup', 'Visit /blog/**']);
    const table = await cli('goals', 'list', '--site', 'example.com');
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+GOAL\s+TYPE\s+MATCHES\s+CREATED$/);
    expect(lines[2]).toMatch(/Visit \/blog\/\*\*\s+page\s+\/blog\/\*\*/);
    const empty = await cli('goals', 'list', '--site', 'other.example');
    expect(empty.stdout).toContain('other.example has no goals yet');
  });

  it('removes a goal by display name, path or id', async () => {
    const removed = await cli('goals', 'remove', '--site', 'example.com', 'Visit /blog/**', '--json');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.json<{ goal: Goal }>().goal.pagePath).toBe('/blog/**');
    const again = await cli('goals', 'remove', '--site', 'example.com', '/blog/**', '--json');
    expect(again.json<ErrorOutput>().error).toMatchObject({ code: 'UNKNOWN_GOAL', exitCode: 1 });
    const list = await cli('goals', 'list', '--site', 'example.com', '--json');
    expect(list.json<{ goals: Goal[] }>().goals.map((g) => g.displayName)).toEqual(['Signup']);
  });

  describe('while the server owns the data directory', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await spawnServer({ DATA_DIR: dataDir });
    });
    afterAll(async () => {
      await server?.stop('SIGTERM');
    });

    it('goes through the admin socket while the server keeps running', async () => {
      const added = await cli('goals', 'add', '--site', 'example.com', '--page', '/pricing', '--json');
      expect(added.exitCode, added.stderr).toBe(0);
      const id = added.json<{ goal: Goal }>().goal.id;
      const list = await cli('goals', 'list', '--site', 'example.com', '--json');
      expect(list.json<{ goals: Goal[] }>().goals.map((g) => g.displayName)).toEqual(['Signup', 'Visit /pricing']);
      const removed = await cli('goals', 'remove', '--site', 'example.com', String(id), '--json');
      expect(removed.json<{ goal: Goal }>().goal.displayName).toBe('Visit /pricing');
      expect(server.child.exitCode, 'the server kept running').toBeNull();
    });
  });
});
