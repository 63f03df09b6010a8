import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/cli.js';

const DIR = path.join(projectRoot, 'templates', 'backup');

describe('templates/backup: nightly backup for cron and systemd', () => {
  const files = readdirSync(DIR).filter((f) => f !== 'README.md');
  const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');

  it('has a crontab line and a systemd service + timer that create, verify and prune', () => {
    expect(files.sort()).toEqual(['analytics-backup.cron', 'analytics-backup.service', 'analytics-backup.timer']);
    const cron = readFileSync(path.join(DIR, 'analytics-backup.cron'), 'utf8');
    const line = cron.split('\n').find((l) => /^\{\{MINUTE\}\} \{\{HOUR\}\} \* \* \* /.test(l));
    expect(line).toMatch(/backup create .*&& .*backup verify .*&& .*backup prune/);
    const service = readFileSync(path.join(DIR, 'analytics-backup.service'), 'utf8');
    expect(service.match(/^ExecStart=.*backup (create|verify|prune)/gm)).toHaveLength(3);
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(readFileSync(path.join(DIR, 'analytics-backup.timer'), 'utf8')).toMatch(/^OnCalendar=\*-\*-\* \{\{HOUR\}\}:\{\{MINUTE\}\}:00$/m);
  });

  it('uses only placeholders the README documents', () => {
    const documented = new Set([...readme.matchAll(/`(\{\{[A-Z_]+\}\})`/g)].map((m) => m[1]));
    for (const file of files) {
      const used = [...readFileSync(path.join(DIR, file), 'utf8').matchAll(/\{\{[A-Z_]+\}\}/g)].map((m) => m[0]);
      expect(used.length).toBeGreaterThan(0);
      for (const placeholder of used) expect(documented, `${file}: ${placeholder}`).toContain(placeholder);
    }
  });
});
