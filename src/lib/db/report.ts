import { migrationLabel } from '../migrate/files.js';
import type { DbMigrateResult, DbStatusResult } from './migrations.js';
import { renderTable } from '../ui/table.js';

/** The human summary of a migrate or rollback run; with --dry-run, the SQL itself. */
export function describeRun(result: DbMigrateResult): string {
  const lines: string[] = [];
  for (const run of result.stores) {
    if (run.steps.length === 0) {
      lines.push(`${run.store}: nothing to do (at version ${run.head})`);
      continue;
    }
    for (const step of run.steps) {
      if (result.dryRun) {
        lines.push(`-- ${run.store} ${migrationLabel(step)} (${step.direction})`, step.sql.trimEnd(), '');
      } else {
        const verb = step.direction === 'up' ? 'applied' : 'rolled back';
        lines.push(`${run.store}: ${verb} ${migrationLabel(step)} (${step.durationMs} ms)`);
      }
    }
    if (!result.dryRun) lines.push(`${run.store}: now at version ${run.head}`);
  }
  return lines.join('\n');
}

export function describeStatus(result: DbStatusResult): string {
  const rows = result.stores.flatMap((s) => [
    ...s.applied.map((m) => [s.store, migrationLabel(m), s.edited.some((e) => e.version === m.version) ? 'applied, EDITED since' : 'applied', m.appliedAt]),
    ...s.pending.map((m) => [s.store, migrationLabel(m), 'pending', '']),
    ...s.unknown.map((m) => [s.store, migrationLabel(m), 'unknown (newer code applied it)', '']),
  ]);
  const summary = result.upToDate ? 'Up to date.' : `${result.pending} pending: run analytics db migrate`;
  return `${renderTable(['STORE', 'MIGRATION', 'STATE', 'APPLIED AT'], rows)}\n${summary}`;
}
