import chalk from 'chalk';
import { renderTable } from '../ui/table.js';
import type { CheckReport, CheckStatus } from './types.js';

const COLOUR: Record<CheckStatus, (text: string) => string> = {
  OK: chalk.green,
  WARNING: chalk.yellow,
  CRITICAL: chalk.red,
  UNKNOWN: chalk.magenta,
};

/**
 * The report for a person: one row per check, then what is wrong and the next command for each check
 * that is not OK. Colour only on a terminal (chalk turns itself off otherwise).
 */
export function renderReport(report: CheckReport): string {
  const table = renderTable(
    ['CHECK', 'STATUS', 'VALUE'],
    report.checks.map((c) => [c.name, c.status, c.value]),
  ).split('\n');
  // Colour after aligning: escape codes would throw the column widths off.
  const lines = table.map((line, i) => {
    const check = i === 0 ? undefined : report.checks[i - 1];
    return check ? line.replace(new RegExp(`(?<=^\\S+\\s+)${check.status}`), COLOUR[check.status](check.status)) : chalk.bold(line);
  });
  const problems = report.checks.filter((c) => c.status !== 'OK');
  for (const c of problems) {
    lines.push('', `${COLOUR[c.status](c.status)} ${chalk.bold(c.name)}: ${c.message ?? c.value}`);
    if (c.next) lines.push(`  ${chalk.cyan('→')} ${c.next}`);
  }
  lines.push('', `${COLOUR[report.status](report.status)} (exit ${report.exitCode}) · ${report.checks.length} check(s) in ${report.durationMs} ms · ${report.checkedAt}`);
  return lines.join('\n');
}
