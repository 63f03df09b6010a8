import type { CheckReport } from './types.js';

/**
 * `--watch`: runs the checks, shows the report, waits `intervalMs`, again — until SIGINT (Ctrl-C) or
 * SIGTERM. Resolves with the last report, so the exit code still says how things stood at the end.
 */
export async function watchReports(
  run: () => Promise<CheckReport>,
  options: { intervalMs: number; show: (report: CheckReport, round: number) => void },
): Promise<CheckReport> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let last: CheckReport | undefined;
    for (let round = 1; ; round += 1) {
      last = await run();
      options.show(last, round);
      if (stopped) return last;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, options.intervalMs);
      });
      if (stopped) return last;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
