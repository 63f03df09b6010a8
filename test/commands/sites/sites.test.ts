import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStores } from '../../../src/lib/storage/open.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface Site {
  id: number;
  domain: string;
  timezone: string;
  createdAt: string;
}
interface ErrorOutput {
  error: { code: string; kind: string; message: string; exitCode: number; actions: string[] };
}

describe('sites add / list / remove (embedded stores)', () => {
  let temp: TempDir;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { env, cwd: temp.path });

  beforeAll(async () => {
    temp = await makeTempDir('analytics-sites-');
    env = { DATA_DIR: path.join(temp.path, 'data'), BASE_URL: 'https://stats.example.org' };
  });
  afterAll(async () => {
    await temp?.remove();
  });

  it('asks for migrations first (exit 4)', async () => {
    const run = await cli('sites', 'list', '--json');
    expect(run.exitCode).toBe(4);
    expect(run.json<ErrorOutput>().error).toMatchObject({ code: 'MIGRATIONS_PENDING', actions: ['analytics db migrate'] });
    expect((await cli('db', 'migrate')).exitCode).toBe(0);
  });

  it('adds a site under its normalised domain and prints the tracker snippet', async () => {
    const empty = await cli('sites', 'list');
    expect(empty.stdout).toContain('No sites yet');

    const added = await cli('sites', 'add', 'https://WWW.Example.com/', '--json');
    expect(added.exitCode, added.stderr).toBe(0);
    const result = added.json<{ site: Site; snippet: string }>();
    expect(result.site).toMatchObject({ domain: 'example.com', timezone: 'Etc/UTC' });
    expect(result.site.id).toBeGreaterThan(0);
    expect(Date.parse(result.site.createdAt)).not.toBeNaN();
    expect(result.snippet).toBe(
      '<script defer data-domain="example.com" src="https://stats.example.org/js/script.js"></script>',
    );

    const text = await cli('sites', 'add', 'blog.example.com', '--timezone', 'Europe/Berlin');
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('Added blog.example.com');
    expect(text.stdout).toContain('data-domain="blog.example.com"');
  });

  it('refuses duplicates, bad domains and bad time zones, changing nothing', async () => {
    const duplicate = await cli('sites', 'add', 'EXAMPLE.com');
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('The site example.com already exists');
    expect(duplicate.stderr).toContain('analytics sites list');

    const json = await cli('sites', 'add', 'example.com', '--json');
    expect(json.exitCode).toBe(1);
    expect(json.json<ErrorOutput>().error).toMatchObject({ code: 'DUPLICATE_SITE', kind: 'user', exitCode: 1 });

    expect((await cli('sites', 'add', 'not a domain', '--json')).json<ErrorOutput>().error.code).toBe('INVALID_DOMAIN');
    expect((await cli('sites', 'add', 'x.example.com', '--timezone', 'Mars/Olympus', '--json')).json<ErrorOutput>().error.code).toBe(
      'INVALID_TIMEZONE',
    );
    expect((await cli('sites', 'add')).exitCode, 'missing argument').toBe(2);
  });

  it('lists the sites as a table and as JSON', async () => {
    const table = await cli('sites', 'list');
    expect(table.exitCode).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+DOMAIN\s+TIMEZONE\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['blog.example.com', 'example.com']);

    const json = await cli('sites', 'list', '--json');
    const { sites } = json.json<{ sites: Site[] }>();
    expect(sites.map((s) => [s.domain, s.timezone])).toEqual([
      ['blog.example.com', 'Europe/Berlin'],
      ['example.com', 'Etc/UTC'],
    ]);
    expect(Object.keys(sites[0] ?? {}).sort()).toEqual(['createdAt', 'domain', 'id', 'timezone']);
  });

  it('removes a site only with --force (no terminal here), with its events and sessions', async () => {
    const seeded = await cli('db', 'seed', '--domain', 'example.com', '--events', '500', '--json');
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    const siteId = seeded.json<{ site: { id: number } }>().site.id;

    const refused = await cli('sites', 'remove', 'example.com', '--json');
    expect(refused.exitCode).toBe(2);
    expect(refused.json<ErrorOutput>().error).toMatchObject({ code: 'CONFIRMATION_NEEDED', actions: ['pass --force to go ahead'] });

    const removed = await cli('sites', 'remove', 'www.example.com', '--force', '--json');
    expect(removed.exitCode, removed.stderr).toBe(0);
    const result = removed.json<{ site: Site; deletedEvents: number; deletedSessions: number }>();
    expect(result.site).toMatchObject({ id: siteId, domain: 'example.com' });
    expect(result.deletedEvents).toBeGreaterThan(400);
    expect(result.deletedSessions).toBeGreaterThan(0);

    const again = await cli('sites', 'remove', 'example.com', '--force');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('There is no site example.com');

    const listed = await cli('sites', 'list', '--json');
    expect(listed.json<{ sites: Site[] }>().sites.map((s) => s.domain)).toEqual(['blog.example.com']);

    // Nothing of the site is left in ClickHouse (checked directly, the CLI having exited).
    const stores = await openStores({ dataDir: env.DATA_DIR as string });
    try {
      for (const table of ['events', 'sessions']) {
        const rows = await stores.clickhouse.query<{ n: string }>(
          `SELECT count() AS n FROM ${table} WHERE site_id = {site:UInt64}`,
          { site: siteId },
        );
        expect(Number(rows[0]?.n), table).toBe(0);
      }
    } finally {
      await stores.close();
    }
  });
});
