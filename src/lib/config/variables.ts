/**
 * Every configuration variable the product reads, with the facts the tooling needs about it:
 * whether it is secret (redacted everywhere), its default, and a one-line description used by
 * `env show`, `env check` and the generated `.env` comments. Names follow Plausible's so its
 * self-hosters feel at home.
 */
export interface VariableSpec {
  name: string;
  description: string;
  secret?: boolean;
  /** A URL whose password part is secret (the rest is shown). */
  secretUrl?: boolean;
  default?: string;
  /** Older or alternative names accepted for the same setting. */
  aliases?: string[];
}

export const VARIABLES = [
  { name: 'BASE_URL', description: 'Public URL of the analytics server, e.g. https://stats.example.com' },
  { name: 'PORT', description: 'HTTP port the server listens on', default: '8000' },
  { name: 'LISTEN_IP', description: 'Address the server binds to', default: '0.0.0.0' },
  { name: 'SECRET_KEY_BASE', description: 'Secret (at least 64 bytes) for sessions and tokens', secret: true },
  { name: 'DATA_DIR', description: 'Directory for embedded databases, spool and locks', default: './data' },
  {
    name: 'DATABASE_URL',
    description: 'PostgreSQL URL; unset = embedded PGlite in DATA_DIR/pg',
    secretUrl: true,
  },
  {
    name: 'POSTGRES_PASSWORD',
    description: 'Password of the bundled PostgreSQL container (compose stack)',
    secret: true,
  },
  { name: 'DATABASE_POOL_SIZE', description: 'PostgreSQL connection pool size', default: '10' },
  { name: 'DATABASE_TLS_ENABLED', description: 'Use TLS for PostgreSQL', default: 'false' },
  {
    name: 'CLICKHOUSE_URL',
    description: 'ClickHouse HTTP URL with the database as path; unset = embedded chDB in DATA_DIR/ch',
    secretUrl: true,
    aliases: ['CLICKHOUSE_DATABASE_URL'],
  },
  {
    name: 'CLICKHOUSE_PASSWORD',
    description: 'Password of the bundled ClickHouse container (compose stack)',
    secret: true,
  },
  { name: 'CLICKHOUSE_DATABASE_HOST', description: 'Older form: ClickHouse host (use CLICKHOUSE_URL)' },
  { name: 'CLICKHOUSE_DATABASE_NAME', description: 'Older form: ClickHouse database (use CLICKHOUSE_URL)' },
  { name: 'CLICKHOUSE_DATABASE_USER', description: 'Older form: ClickHouse user (use CLICKHOUSE_URL)' },
  {
    name: 'CLICKHOUSE_DATABASE_PASSWORD',
    description: 'Older form: ClickHouse password (use CLICKHOUSE_URL)',
    secret: true,
  },
  { name: 'CLICKHOUSE_FLUSH_INTERVAL_MS', description: 'How often buffered events are flushed', default: '5000' },
  { name: 'CLICKHOUSE_MAX_BUFFER_SIZE', description: 'Rows (events + sessions) that trigger an early flush', default: '100000' },
  {
    name: 'TRUSTED_PROXIES',
    description: 'Comma-separated CIDRs whose X-Forwarded-For is believed',
    default: '127.0.0.1/32,::1/128',
  },
  { name: 'DISABLE_REGISTRATION', description: 'true, false or invite_only', default: 'true' },
  { name: 'ADMIN_USER_NAME', description: 'Name of the first admin (db init-admin)' },
  { name: 'ADMIN_USER_EMAIL', description: 'Email of the first admin (db init-admin)' },
  { name: 'ADMIN_USER_PWD', description: 'Password of the first admin (db init-admin)', secret: true },
  { name: 'MAILER_ADAPTER', description: 'smtp or none', default: 'none' },
  { name: 'MAILER_EMAIL', description: 'From address of outgoing mail' },
  { name: 'MAILER_NAME', description: 'From name of outgoing mail', default: 'Analytics' },
  { name: 'SMTP_HOST_ADDR', description: 'SMTP server host' },
  { name: 'SMTP_HOST_PORT', description: 'SMTP server port', default: '587' },
  { name: 'SMTP_USER_NAME', description: 'SMTP user' },
  { name: 'SMTP_USER_PWD', description: 'SMTP password', secret: true },
  { name: 'SMTP_HOST_SSL_ENABLED', description: 'Implicit TLS (usually port 465)', default: 'false' },
  { name: 'SMTP_RETRIES', description: 'Retries for a failed send', default: '2' },
  {
    name: 'IP_GEOLOCATION_DB',
    description: 'MaxMind .mmdb path; unset = bundled country database',
    aliases: ['GEOLITE2_COUNTRY_DB'],
  },
  { name: 'BACKUP_DIR', description: 'Where backups are written', default: './backups' },
  { name: 'BACKUP_ENCRYPTION_RECIPIENT', description: 'age public key (age1...) backups are encrypted to' },
  { name: 'BACKUP_KEEP_DAILY', description: 'Daily backups kept by prune', default: '7' },
  { name: 'BACKUP_KEEP_WEEKLY', description: 'Weekly backups kept by prune', default: '4' },
  { name: 'BACKUP_KEEP_MONTHLY', description: 'Monthly backups kept by prune', default: '6' },
  { name: 'LOG_LEVEL', description: 'debug, info, warn or error', default: 'info' },
] as const satisfies readonly VariableSpec[];

export type VariableName = (typeof VARIABLES)[number]['name'];

const byName = new Map<string, VariableSpec>(VARIABLES.map((v) => [v.name, v]));
const byAlias = new Map<string, VariableSpec>(
  VARIABLES.flatMap((v: VariableSpec) => (v.aliases ?? []).map((alias) => [alias, v] as const)),
);

export function variableSpec(name: string): VariableSpec | undefined {
  return byName.get(name) ?? byAlias.get(name);
}

export function isKnownVariable(name: string): boolean {
  return byName.has(name) || byAlias.has(name);
}

/** Show a value without leaking a secret: secrets fully, URLs only their password. */
export function redactValue(name: string, value: string): string {
  const spec = variableSpec(name);
  if (!spec || value === '') return value;
  if (spec.secret) return '[redacted]';
  if (spec.secretUrl) return redactUrlPassword(value);
  return value;
}

export function redactUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return value.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1****@');
  }
}
