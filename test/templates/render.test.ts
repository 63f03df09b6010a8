import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { renderTemplate } from '../../src/lib/templates/engine.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const HAS_KUBECTL = has('kubectl');

interface Rendered {
  files: { path: string; action: string; mode: string }[];
  dryRun: boolean;
}

describe('template engine', () => {
  it('substitutes values, keeps ${VAR} and {$VAR} for compose and Caddy, and drops false blocks', () => {
    const text = 'a: {{x}}\n{{#if on}}\nb: ${B}\n{{/if}}\n{{#if off}}\nc: 1\n{{/if}}\nd: {$D} {scheme}';
    expect(renderTemplate(text, { x: 'X', on: true, off: false })).toBe('a: X\nb: ${B}\nd: {$D} {scheme}');
  });

  it('refuses an unknown placeholder instead of writing an empty value', () => {
    expect(() => renderTemplate('a: {{missing}}', {}, 't.yml')).toThrow('t.yml:1: no value for {{missing}}');
    expect(() => renderTemplate('{{#if x}}\n', { x: true })).toThrow('without {{/if}}');
  });
});

describe('templates render', () => {
  let dir: TempDir;
  const env = { ANALYTICS_COMPOSE: 'v1' };
  const cli = (args: string[]) => runCli(args, { cwd: dir.path, env });

  beforeAll(async () => {
    dir = await makeTempDir('analytics-templates-');
    const generated = await cli(['env', 'generate', '--yes', '--base-url', 'https://stats.example.com', '--storage', 'servers']);
    expect(generated.exitCode, generated.stderr).toBe(0);
  });
  afterAll(() => dir.remove());

  it('--dry-run lists every file and writes none', async () => {
    const run = await cli(['templates', 'render', 'compose', 'proxy', 'kubernetes', 'systemd', 'cron', '--dry-run', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json<Rendered>();
    expect(result.dryRun).toBe(true);
    expect(result.files.map((f) => f.action)).toEqual(result.files.map(() => 'would-create'));
    expect(result.files.map((f) => path.relative(dir.path, f.path))).toEqual(
      expect.arrayContaining(['docker-compose.yml', 'Caddyfile', 'clickhouse/system-log-ttl.xml', 'proxy/nginx.conf',
        'kubernetes/base/kustomization.yaml', 'kubernetes/overlays/clickhouse-cluster/kustomization.yaml',
        'systemd/analytics.service', 'systemd/analytics-backup.timer', 'cron/analytics-backup.crontab']),
    );
    expect(existsSync(path.join(dir.path, 'docker-compose.yml'))).toBe(false);
  });

  it('writes the files (secrets 0600), then re-running changes nothing', async () => {
    const first = await cli(['templates', 'render', 'compose', 'proxy', 'kubernetes', 'systemd', 'cron', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(new Set(first.json<Rendered>().files.map((f) => f.action))).toEqual(new Set(['created']));
    expect(statSync(path.join(dir.path, 'kubernetes/base/secrets.env')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir.path, 'docker-compose.yml')).mode & 0o777).toBe(0o644);
    const again = await cli(['templates', 'render', 'compose', 'proxy', 'kubernetes', 'systemd', 'cron', '--json']);
    expect(new Set(again.json<Rendered>().files.map((f) => f.action))).toEqual(new Set(['unchanged']));
  });

  it('never overwrites a changed file silently: refuses without a terminal, --dry-run shows it, --force overwrites', async () => {
    const file = path.join(dir.path, 'proxy/nginx.conf');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}\n# hand edit\n`);
    const refused = await cli(['templates', 'render', 'proxy', '--json']);
    expect(refused.exitCode).toBe(1);
    expect(refused.json<{ error: { code: string; details: { files: string[] } } }>().error).toMatchObject({
      code: 'FILES_EXIST',
      details: { files: [file] },
    });
    expect(readFileSync(file, 'utf8')).toContain('# hand edit');
    const dry = await cli(['templates', 'render', 'proxy', '--dry-run', '--json']);
    expect(dry.json<Rendered>().files.find((f) => f.path === file)?.action).toBe('would-overwrite');
    const forced = await cli(['templates', 'render', 'proxy', '--force', '--json']);
    expect(forced.json<Rendered>().files.find((f) => f.path === file)?.action).toBe('overwritten');
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('the compose file passes `docker-compose config` and has health checks, restart policies and named volumes', () => {
    for (const profile of [[], ['--profile', 'caddy']]) {
      const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', '-p', 'analytics', ...profile, 'config'], {
        cwd: dir.path,
        encoding: 'utf8',
      });
      const config = parse(out) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
      const expected = profile.length ? ['analytics', 'caddy', 'clickhouse', 'postgres'] : ['analytics', 'clickhouse', 'postgres'];
      expect(Object.keys(config.services).sort()).toEqual(expect.arrayContaining(expected));
      for (const name of ['analytics', 'clickhouse', 'postgres']) {
        expect(config.services[name]?.healthcheck, name).toBeDefined();
        expect(config.services[name]?.restart, name).toBe('unless-stopped');
      }
      expect(Object.keys(config.volumes).sort()).toEqual(
        ['analytics-backups', 'analytics-data', 'caddy-config', 'caddy-data', 'clickhouse-data', 'clickhouse-logs', 'postgres-data'],
      );
      const analytics = config.services.analytics as { environment: Record<string, string>; ports: unknown[] };
      expect(analytics.environment.DATABASE_URL).toMatch(/^postgres:\/\/analytics:[^@]+@postgres:5432\/analytics$/);
      expect(analytics.environment.CLICKHOUSE_URL).toMatch(/@clickhouse:8123\/analytics$/);
      expect(JSON.stringify(analytics.ports)).toContain('127.0.0.1');
    }
    // The ClickHouse config files it mounts exist and are well-formed enough for ClickHouse's XML loader.
    for (const file of ['low-memory.xml', 'system-log-ttl.xml', 'low-memory-profile.xml']) {
      const xml = readFileSync(path.join(dir.path, 'clickhouse', file), 'utf8');
      expect(xml.trim()).toMatch(/<clickhouse>[\s\S]*<\/clickhouse>$/);
    }
    expect(readFileSync(path.join(dir.path, 'clickhouse/system-log-ttl.xml'), 'utf8')).toContain('TTL event_date + INTERVAL 7 DAY DELETE');
  });

  it('--clickhouse embedded renders a stack without a ClickHouse container that also passes `docker-compose config`', async () => {
    const other = await makeTempDir('analytics-templates-embedded-');
    try {
      const run = await runCli(['templates', 'render', 'compose', '--dir', other.path, '--clickhouse', 'embedded', '--env-file', path.join(dir.path, '.env'), '--json'], { cwd: dir.path });
      expect(run.exitCode, run.stderr).toBe(0);
      execFileSync('cp', [path.join(dir.path, '.env'), other.path]);
      const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: other.path, encoding: 'utf8' });
      const config = parse(out) as { services: Record<string, { environment?: Record<string, string>; depends_on?: object; profiles?: string[] }> };
      // v1 prints services of inactive profiles too (caddy); the default profile's services are what runs.
      const active = Object.entries(config.services).filter(([, s]) => !s.profiles?.length).map(([n]) => n);
      expect(active.sort()).toEqual(['analytics', 'postgres']);
      // .env may name a ClickHouse for the host; inside this stack it is blanked (empty = embedded chDB).
      expect(config.services.analytics?.environment?.CLICKHOUSE_URL).toBe('');
      expect(Object.keys(config.services.analytics?.depends_on ?? {})).toEqual(['postgres']);
      expect(existsSync(path.join(other.path, 'clickhouse'))).toBe(false);
    } finally {
      await other.remove();
    }
  });

  it('--network host renders host networking without published ports, and passes `docker-compose config`', async () => {
    const other = await makeTempDir('analytics-templates-host-');
    try {
      const run = await runCli(['templates', 'render', 'compose', '--dir', other.path, '--network', 'host', '--env-file', path.join(dir.path, '.env'), '--json'], { cwd: dir.path });
      expect(run.exitCode, run.stderr).toBe(0);
      execFileSync('cp', [path.join(dir.path, '.env'), other.path]);
      const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', '--profile', 'caddy', 'config'], { cwd: other.path, encoding: 'utf8' });
      const config = parse(out) as { services: Record<string, { network_mode?: string; ports?: unknown[]; environment?: Record<string, string> }> };
      for (const [name, service] of Object.entries(config.services)) {
        expect(service.network_mode, name).toBe('host');
        expect(service.ports, name).toBeUndefined();
      }
      expect(config.services.analytics?.environment).toMatchObject({ LISTEN_IP: '127.0.0.1', PORT: '8000' });
      expect(config.services.analytics?.environment?.DATABASE_URL).toMatch(/@127\.0\.0\.1:5432\/analytics$/);
      expect(config.services.caddy?.environment?.UPSTREAM).toBe('127.0.0.1:8000');
    } finally {
      await other.remove();
    }
  });

  it('the proxy configs append the peer to X-Forwarded-For (what the server’s right-to-left walk expects)', () => {
    const nginx = readFileSync(path.join(dir.path, 'proxy/nginx.conf'), 'utf8');
    expect(nginx).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(nginx).toContain('server_name stats.example.com;');
    expect(nginx).toContain('proxy_pass http://127.0.0.1:8000;');
    expect(readFileSync(path.join(dir.path, 'proxy/Caddyfile'), 'utf8')).toMatch(/^stats\.example\.com \{[\s\S]*reverse_proxy 127\.0\.0\.1:8000/m);
  });

  it.skipIf(!has('systemd-analyze'))('the systemd units pass `systemd-analyze verify`', () => {
    const unitDir = path.join(dir.path, 'systemd');
    // verify resolves ExecStart binaries; it runs as root here, so User= is an existing account.
    const result = spawnSync('systemd-analyze', ['verify', ...readdirSync(unitDir).map((f) => path.join(unitDir, f))], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe('');
    const unit = readFileSync(path.join(unitDir, 'analytics.service'), 'utf8');
    expect(unit).toMatch(new RegExp(`^ExecStart=${process.execPath} --v8-pool-size=1 \\S+/bin/run\\.js start --env-file ${dir.path}/\\.env$`, 'm'));
  });

  it(`the Kubernetes manifests build with ${HAS_KUBECTL ? '`kubectl kustomize`' : 'NO kubectl (SKIPPED the kustomize build: kubectl not installed)'} and are structurally valid`, () => {
    chmodSync(path.join(dir.path, 'kubernetes/base/secrets.env'), 0o600);
    const outputs: string[] = [];
    for (const target of ['kubernetes/base', 'kubernetes/overlays/clickhouse-cluster']) {
      if (!HAS_KUBECTL) continue;
      outputs.push(execFileSync('kubectl', ['kustomize', path.join(dir.path, target)], { encoding: 'utf8' }));
    }
    const docs = HAS_KUBECTL
      ? outputs.map((o) => parseAllDocuments(o).map((d) => d.toJS() as K8sObject))
      : [readdirSync(path.join(dir.path, 'kubernetes/base')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
          .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir.path, 'kubernetes/base', f), 'utf8')).map((d) => d.toJS() as K8sObject))];
    for (const objects of docs) checkManifests(objects);
    if (HAS_KUBECTL) {
      const [base, cluster] = docs as [K8sObject[], K8sObject[]];
      expect(base.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'clickhouse')?.spec?.replicas).toBe(1);
      expect(cluster.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'clickhouse')?.spec?.replicas).toBe(3);
      expect(base.find((o) => o.kind === 'CronJob')?.metadata.name).toBe('analytics-backup');
      expect(cluster.some((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('clickhouse-cluster-config'))).toBe(true);
    }
  });
});

describe('compose commands without a Docker engine', () => {
  it('say what is missing with the documented exit codes (no compose file: 1, engine unreachable: 3, upgrade stopped: 1, purge unconfirmed: 2)', async () => {
    const dir = await makeTempDir('analytics-compose-');
    try {
      const none = await runCli(['compose', 'ps', '--json'], { cwd: dir.path });
      expect(none.exitCode).toBe(1);
      expect(none.json<{ error: { code: string } }>().error.code).toBe('NO_COMPOSE_FILE');
      writeFileSync(path.join(dir.path, 'docker-compose.yml'), 'services:\n  a:\n    image: x\n');
      const env = { DOCKER_HOST: `unix://${dir.path}/no-such.sock` };
      const ps = await runCli(['compose', 'ps', '--json'], { cwd: dir.path, env });
      expect(ps.exitCode).toBe(3);
      expect(ps.json<{ error: { code: string; details: { service: string } } }>().error).toMatchObject({ code: 'SERVICE_UNREACHABLE', details: { service: 'Docker' } });
      writeFileSync(path.join(dir.path, '.env'), 'BASE_URL=http://localhost:8000\nSECRET_KEY_BASE=' + 'x'.repeat(64) + '\n');
      const upgrade = await runCli(['upgrade', '--skip-backup', '--json'], { cwd: dir.path, env });
      expect(upgrade.exitCode).toBe(1);
      expect(upgrade.json<{ error: { code: string; details: { failedAt: string; steps: { name: string }[] } } }>().error).toMatchObject({
        code: 'UPGRADE_FAILED',
        details: { failedAt: 'images', steps: [{ name: 'backup', status: 'skipped' }] },
      });
      const purge = await runCli(['compose', 'purge', '--json'], { cwd: dir.path, env });
      expect(purge.exitCode).toBe(2);
      expect(purge.json<{ error: { code: string } }>().error.code).toBe('CONFIRMATION_NEEDED');
    } finally {
      await dir.remove();
    }
  });
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown> & { replicas?: number };
}

/** What a server-side validation would reject first: missing identity, containers without images, dangling references. */
function checkManifests(objects: K8sObject[]): void {
  expect(objects.length).toBeGreaterThan(8);
  const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  for (const o of objects) {
    expect(o.apiVersion, JSON.stringify(o).slice(0, 80)).toMatch(/^(v1|apps\/v1|batch\/v1|networking\.k8s\.io\/v1)$/);
    expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const text = JSON.stringify(o);
    expect(text).not.toMatch(/\{\{\w+\}\}/);
    for (const ref of text.matchAll(/"(configMapRef|secretRef|configMap|secretKeyRef)":\{[^}]*"name":"([^"]+)"/g)) {
      const kind = ref[1]?.startsWith('secret') ? 'Secret' : 'ConfigMap';
      expect(names, `${o.kind}/${o.metadata.name} → ${kind}/${ref[2]}`).toContain(`${kind}/${ref[2]}`);
    }
    for (const claim of text.matchAll(/"claimName":"([^"]+)"/g)) expect(names).toContain(`PersistentVolumeClaim/${claim[1]}`);
    for (const image of text.matchAll(/"image":"([^"]*)"/g)) expect(image[1]).not.toBe('');
  }
}
