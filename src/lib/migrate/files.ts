import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../cli/errors.js';

export type StoreName = 'postgres' | 'clickhouse';

export interface MigrationFile {
  version: number;
  name: string;
  upSql: string;
  downSql: string;
  /** sha256 of the up file: an applied migration whose file changed later is reported. */
  checksum: string;
  /** A down file with nothing but comments marks a step that cannot be undone. */
  reversible: boolean;
}

/** `migrations/` of the package, from both `src/lib/migrate` and `dist/lib/migrate`. */
export const MIGRATIONS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/;

export function stripSqlComments(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .trim();
}

export function loadMigrations(dir: string): MigrationFile[] {
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new UserError(`Migration file ${path.join(dir, file)} is misnamed`, {
        code: 'BAD_MIGRATION_FILE',
        actions: ['name migration files NNNN_name.up.sql and NNNN_name.down.sql (lowercase name)'],
      });
    }
    const [, digits, name, direction] = match as unknown as [string, string, string, 'up' | 'down'];
    const version = Number(digits);
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) {
      throw new UserError(`Two migrations share version ${digits} in ${dir}: ${entry.name} and ${name}`, {
        code: 'BAD_MIGRATION_FILE',
      });
    }
    entry[direction] = readFileSync(path.join(dir, file), 'utf8');
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, entry]) => {
      if (entry.up === undefined || entry.down === undefined) {
        const missing = entry.up === undefined ? 'up' : 'down';
        throw new UserError(
          `Migration ${String(version).padStart(4, '0')}_${entry.name} in ${dir} has no .${missing}.sql file`,
          { code: 'BAD_MIGRATION_FILE', actions: ['add it (a down file with only comments marks an irreversible step)'] },
        );
      }
      return {
        version,
        name: entry.name,
        upSql: entry.up,
        downSql: entry.down,
        checksum: createHash('sha256').update(entry.up).digest('hex'),
        reversible: stripSqlComments(entry.down) !== '',
      };
    });
}

/** ClickHouse takes one statement per request: split a file on semicolons that end a line. */
export function splitStatements(sql: string): string[] {
  return stripSqlComments(sql)
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function migrationLabel(m: { version: number; name: string }): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}
