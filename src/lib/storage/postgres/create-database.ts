import pg from 'pg';
import { toPostgresError } from './errors.js';
import type { CreateDatabaseResult } from './types.js';
import { parsePostgresUrl, quoteIdentifier, withDatabase } from './url.js';

const MAINTENANCE_DATABASE = 'postgres';
const DUPLICATE_DATABASE = '42P04';

/**
 * Creates the database named in DATABASE_URL when it is missing, connecting to the server's
 * `postgres` maintenance database with the same credentials.
 */
export async function createPostgresDatabase(
  url: string,
  options: { tls?: boolean; connectTimeoutMs?: number } = {},
): Promise<CreateDatabaseResult> {
  const target = parsePostgresUrl(url);
  const client = new pg.Client({
    connectionString: withDatabase(url, MAINTENANCE_DATABASE),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.tls ? { ssl: { rejectUnauthorized: true } } : {}),
  });
  client.on('error', () => undefined);
  const maintenanceTarget = { address: target.address, database: MAINTENANCE_DATABASE };
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw toPostgresError(error, maintenanceTarget);
  }
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database]);
    if (existing.rowCount) return { created: false, name: target.database };
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(target.database)}`);
    } catch (error) {
      // Someone else created it between our check and our CREATE: that is "already there".
      if ((error as { code?: unknown }).code === DUPLICATE_DATABASE) return { created: false, name: target.database };
      throw error;
    }
    return { created: true, name: target.database };
  } catch (error) {
    throw toPostgresError(error, maintenanceTarget);
  } finally {
    await client.end().catch(() => undefined);
  }
}
