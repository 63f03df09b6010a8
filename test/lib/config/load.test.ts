import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/lib/config/load.js';
import { tempDir } from '../../helpers/cli.js';

describe('loadConfig', () => {
  it('gives the embedded defaults with no file and no environment', () => {
    const dir = tempDir();
    const loaded = loadConfig({ env: {}, cwd: dir });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config).toMatchObject({
      port: 8000,
      baseUrl: 'http://localhost:8000',
      dataDir: path.join(dir, 'data'),
      storageMode: 'embedded',
      trustedProxies: ['127.0.0.1/32', '::1/128'],
      mailer: { adapter: 'none' },
    });
  });

  it('turns the older CLICKHOUSE_DATABASE_* variables into one URL', () => {
    const loaded = loadConfig({
      env: {
        CLICKHOUSE_DATABASE_HOST: 'plausible_events_db',
        CLICKHOUSE_DATABASE_NAME: 'plausible_events_db',
        CLICKHOUSE_DATABASE_USER: 'default',
        CLICKHOUSE_DATABASE_PASSWORD: 'p@ss',
        DATABASE_URL: 'postgres://u:p@localhost/analytics',
      },
      cwd: tempDir(),
    });
    expect(loaded.config?.clickhouseUrl).toBe('http://default:p%40ss@plausible_events_db:8123/plausible_events_db');
    expect(loaded.config?.storageMode).toBe('servers');
  });

  it('accepts CLICKHOUSE_DATABASE_URL as CLICKHOUSE_URL and prefers the environment to the file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, '.env'), 'CLICKHOUSE_URL=http://file:8123/a\nLOG_LEVEL=debug\n');
    const loaded = loadConfig({ env: { CLICKHOUSE_DATABASE_URL: 'http://env:8123/b' }, cwd: dir });
    expect(loaded.config?.clickhouseUrl).toBe('http://env:8123/b');
    expect(loaded.variables.find((v) => v.name === 'CLICKHOUSE_URL')).toMatchObject({ source: 'env', via: 'CLICKHOUSE_DATABASE_URL' });
    expect(loaded.config?.logLevel).toBe('debug');
  });

  it('reports each problem with its variable', () => {
    const loaded = loadConfig({
      env: { PORT: '70000', DATABASE_TLS_ENABLED: 'maybe', BACKUP_ENCRYPTION_RECIPIENT: 'age1short', IP_GEOLOCATION_DB: '/nope.mmdb' },
      cwd: tempDir(),
    });
    expect(loaded.config).toBeUndefined();
    expect(loaded.problems.map((p) => p.variable).sort()).toEqual(
      ['BACKUP_ENCRYPTION_RECIPIENT', 'DATABASE_TLS_ENABLED', 'IP_GEOLOCATION_DB', 'PORT'].sort(),
    );
  });
});
