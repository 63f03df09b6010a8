import { UsageError } from '../cli/errors.js';
import { STATUS_EXIT_CODE, errorText, worstStatus, type CheckOutcome, type CheckReport, type CheckResult } from './types.js';

/** A named check: `--check NAME` selects it. */
export interface CheckDefinition<Ctx> {
  name: string;
  title: string;
  /** Longest the check may take before it is reported UNKNOWN; default 5 s. */
  timeoutMs?: number;
  run(ctx: Ctx): Promise<CheckOutcome>;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** The checks named by `--check` (all when none), in registry order; an unknown name is a usage error. */
export function selectChecks<Ctx>(registry: readonly CheckDefinition<Ctx>[], names: readonly string[] | undefined): CheckDefinition<Ctx>[] {
  if (!names || names.length === 0) return [...registry];
  const known = new Set(registry.map((c) => c.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(`Unknown check ${unknown.join(', ')}; the checks are: ${[...known].join(', ')}`, {
      code: 'UNKNOWN_CHECK',
      details: { known: [...known] },
    });
  }
  return registry.filter((c) => names.includes(c.name));
}

/**
 * Runs the checks concurrently (the slowest one sets the total time). A check that throws or runs out
 * of time is UNKNOWN with the reason, never a crash of the whole report.
 */
/** `command` names the CLI command in the next steps of checks that failed to run (`health`, `doctor`). */
export async function runChecks<Ctx>(
  checks: readonly CheckDefinition<Ctx>[],
  ctx: Ctx,
  options: { command: string },
): Promise<CheckReport> {
  const started = performance.now();
  const checkedAt = new Date().toISOString();
  const results = await Promise.all(checks.map((check) => runOne(check, ctx, options.command)));
  const status = worstStatus(results.map((r) => r.status));
  return {
    status,
    exitCode: STATUS_EXIT_CODE[status],
    checkedAt,
    durationMs: Math.round(performance.now() - started),
    checks: results,
  };
}

async function runOne<Ctx>(check: CheckDefinition<Ctx>, ctx: Ctx, command: string): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = check.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  let outcome: CheckOutcome;
  try {
    outcome = await Promise.race([
      check.run(ctx),
      new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              status: 'UNKNOWN',
              value: `no result within ${timeoutMs} ms`,
              message: `The ${check.title} check did not finish in time`,
              next: `analytics ${command} --check ${check.name}   (run it alone; if it hangs, look at the server log)`,
            }),
          timeoutMs,
        );
        timer.unref();
      }),
    ]);
  } catch (error) {
    outcome = {
      status: 'UNKNOWN',
      value: 'not measured',
      message: `The check failed: ${errorText(error)}`,
      next: `analytics ${command} --check ${check.name}   (DEBUG=1 shows more)`,
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
  return { name: check.name, title: check.title, ...outcome, durationMs: Math.round(performance.now() - started) };
}
