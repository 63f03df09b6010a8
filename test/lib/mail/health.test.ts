import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailHealth } from '../../../src/lib/mail/health.js';
import { recordSendResult } from '../../../src/lib/mail/last-send.js';
import { MIGRATIONS_ROOT, loadMigrations } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../../src/lib/migrate/runner.js';
import { openTempPglite, type EmbeddedPostgres } from '../../helpers/embedded.js';

let pg: EmbeddedPostgres;
beforeAll(async () => {
  pg = await openTempPglite();
}, 60_000);
afterAll(async () => pg?.cleanup());

describe('mail health', () => {
  it('UNKNOWN before the migrations; then OK, WARNING after a failure, CRITICAL after a day without a success', async () => {
    expect(await mailHealth(pg.store, { mailEnabled: true })).toMatchObject({ status: 'UNKNOWN', next: 'analytics db migrate' });
    await migrateUp(postgresLedger(pg.store), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')));
    expect(await mailHealth(pg.store, { mailEnabled: false })).toMatchObject({ status: 'OK', value: 'mail off (MAILER_ADAPTER=none)' });
    expect(await mailHealth(pg.store, { mailEnabled: true })).toMatchObject({ status: 'OK', value: 'nothing sent yet' });

    await recordSendResult(pg.store, { ok: true, kind: 'report', detail: '1 of 1', at: '2026-11-20T08:00:00.000Z' });
    expect(await mailHealth(pg.store, { mailEnabled: true })).toMatchObject({ status: 'OK', value: 'last report mail sent 2026-11-20T08:00:00.000Z' });

    await recordSendResult(pg.store, { ok: false, kind: 'report', detail: '0 of 1', error: '535 Invalid username or password', at: '2026-11-20T09:00:00.000Z' });
    const warning = await mailHealth(pg.store, { mailEnabled: true, now: new Date('2026-11-20T10:00:00Z') });
    expect(warning).toMatchObject({ status: 'WARNING', value: 'last send failed 2026-11-20T09:00:00.000Z' });
    expect(warning.message).toContain('535 Invalid username or password');
    expect(warning.next).toContain('analytics mail test');
    expect((await mailHealth(pg.store, { mailEnabled: true, now: new Date('2026-11-21T09:00:00Z') })).status).toBe('CRITICAL');
  });
});
