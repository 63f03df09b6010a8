import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `queries/` of the package (from both src/ and dist/): SQL lives in named files, not in strings. */
const QUERIES_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../queries');
const cache = new Map<string, string>();

/** loadQuery('clickhouse/seed_events') reads queries/clickhouse/seed_events.sql once. */
export function loadQuery(name: string): string {
  let sql = cache.get(name);
  if (sql === undefined) {
    sql = readFileSync(path.join(QUERIES_ROOT, `${name}.sql`), 'utf8');
    cache.set(name, sql);
  }
  return sql;
}
