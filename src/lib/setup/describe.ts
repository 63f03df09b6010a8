import type { SetupResult } from './types.js';

/** The human summary: where it runs, the credentials (once), the snippet, what to do next. */
export function describeSetup(result: SetupResult): string {
  const lines = [`analytics is running at ${result.url} (${result.mode === 'embedded' ? 'embedded storage' : 'Docker Compose'}).`];
  for (const step of result.steps) lines.push(`  ${step.status.padEnd(8)} ${step.name}${step.detail ? ` — ${step.detail}` : ''}`);
  if (result.admin) {
    lines.push(result.admin.status === 'created' ? `Admin: ${result.admin.email}` : `Admin: ${result.admin.email} (already existed)`);
    if (result.admin.generatedPassword) lines.push(`Password (shown once, store it now): ${result.admin.generatedPassword}`);
  } else {
    lines.push('No admin yet: analytics db init-admin --email you@example.com');
  }
  if (result.site) lines.push(`Tracker snippet for ${result.site.domain} (in the <head> of its pages):`, `  ${result.site.snippet}`);
  else lines.push('Add a site: analytics sites add example.com');
  if (result.service?.note) lines.push(result.service.note);
  return lines.join('\n');
}
