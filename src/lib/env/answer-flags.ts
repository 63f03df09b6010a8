import { Flags } from '@oclif/core';
import type { AnswerFlag } from './generate.js';

const answer = (description: string, options: string[] = []) =>
  Flags.string({ description, helpGroup: 'ANSWERS', ...(options.length ? { options } : {}) });

/** One flag per env wizard question (`env generate` takes them all, `setup` those its mode leaves open). */
export const ENV_ANSWER_FLAGS = {
  'base-url': answer('Public URL, e.g. https://stats.example.com'),
  port: answer('HTTP port (default 8000).'),
  storage: answer('embedded (PGlite + chDB) or servers (PostgreSQL + ClickHouse).', ['embedded', 'servers']),
  'database-url': answer('PostgreSQL URL (servers storage).'),
  'clickhouse-url': answer('ClickHouse URL (servers storage).'),
  'admin-email': answer('Email of the first admin.'),
  'admin-name': answer('Name of the first admin.'),
  'admin-password': answer('Password of the first admin (empty: generated and shown once).'),
  mailer: answer('smtp or none.', ['smtp', 'none']),
  'mailer-email': answer('From address of outgoing mail.'),
  'mailer-name': answer('From name of outgoing mail (default Analytics).'),
  'smtp-host': answer('SMTP host.'),
  'smtp-port': answer('SMTP port.'),
  'smtp-user': answer('SMTP user.'),
  'smtp-password': answer('SMTP password.'),
  'smtp-ssl': answer('Implicit TLS: true or false.', ['true', 'false']),
  'smtp-retries': answer('Retries for a failed send (default 2).'),
  'geoip-db': answer('MaxMind .mmdb file (default: the bundled country database).'),
  'trusted-proxies': answer('CIDRs whose X-Forwarded-For is believed.'),
  'backup-dir': answer('Backup directory.'),
  'backup-recipient': answer('age public key backups are encrypted to.'),
};

/** The answers given as flags, plus DATA_DIR (a global flag), for generateEnv. */
export function answersFromFlags(flags: Record<string, unknown>, names: readonly string[]): Partial<Record<AnswerFlag, string>> {
  return Object.fromEntries([...names, 'data-dir'].map((name) => [name, flags[name] as string | undefined]));
}
