import path from 'node:path';
import { loadMigrations, MIGRATIONS_ROOT } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../../src/lib/migrate/runner.js';
import { openPgStore, type PostgresStore } from '../../../src/lib/storage/postgres/index.js';
import { openTempPglite } from '../../helpers/embedded.js';
import { startPostgresCluster } from '../../helpers/postgres-cluster.js';

export interface Implementation {
  name: string;
  /** A migrated database on that implementation. */
  open(): Promise<{ store: PostgresStore; cleanup(): Promise<void> }>;
}

async function migrated(store: PostgresStore): Promise<PostgresStore> {
  await migrateUp(postgresLedger(store), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')));
  return store;
}

/** The dashboard's tables on PGlite (embedded mode) and on a throwaway PostgreSQL 15 (server mode). */
export const implementations: Implementation[] = [
  {
    name: 'PGlite',
    async open() {
      const pglite = await openTempPglite();
      return { store: await migrated(pglite.store), cleanup: pglite.cleanup };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const cluster = await startPostgresCluster();
      const store = await openPgStore({ url: cluster.url(), poolSize: 4 });
      return {
        store: await migrated(store),
        async cleanup() {
          await store.close();
          await cluster.stop();
        },
      };
    },
  },
];
