import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { VARIABLES } from '../config/variables.js';

/** Sections of a generated env file, in the order a reader expects them. */
const SECTIONS: { title: string; prefixes: string[] }[] = [
  { title: 'Server', prefixes: ['BASE_URL', 'PORT', 'LISTEN_IP', 'SECRET_KEY_BASE', 'DATA_DIR', 'LOG_LEVEL', 'DISABLE_REGISTRATION'] },
  { title: 'Storage (unset URLs = embedded PGlite and chDB in DATA_DIR)', prefixes: ['DATABASE_', 'POSTGRES_', 'CLICKHOUSE_'] },
  { title: 'Ingestion', prefixes: ['TRUSTED_PROXIES', 'IP_GEOLOCATION_DB'] },
  { title: 'First admin (analytics db init-admin)', prefixes: ['ADMIN_USER_'] },
  { title: 'Mail', prefixes: ['MAILER_', 'SMTP_'] },
  { title: 'Backups', prefixes: ['BACKUP_'] },
];

function quote(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('env values cannot contain line breaks');
  if (/^[\w\-.:/@,+=%*]*$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return `\`${value}\``;
}

export function serializeEnv(values: Record<string, string>, header: string): string {
  const order = VARIABLES.map((v) => v.name as string);
  const names = Object.keys(values).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const lines = [`# ${header}`, '# Keep this file private (mode 0600): it holds secrets.', ''];
  const written = new Set<string>();
  for (const section of SECTIONS) {
    const members = names.filter((n) => !written.has(n) && section.prefixes.some((p) => n.startsWith(p)));
    if (members.length === 0) continue;
    lines.push(`# --- ${section.title}`);
    for (const name of members) {
      lines.push(`${name}=${quote(values[name] ?? '')}`);
      written.add(name);
    }
    lines.push('');
  }
  const rest = names.filter((n) => !written.has(n));
  if (rest.length > 0) lines.push('# --- Other', ...rest.map((n) => `${n}=${quote(values[n] ?? '')}`), '');
  return lines.join('\n');
}

/**
 * Write a file holding secrets: created 0600 under a temporary name in the same directory,
 * fsynced, then renamed over the target so a crash never leaves a half-written file.
 */
export function writeFileAtomic0600(file: string, content: string): void {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
