import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';

/**
 * Multi-step work shown as a listr2 task list on stderr (stdout carries only the result): animated on a
 * terminal, one line per step otherwise, nothing at all under --json.
 */
export async function runWithProgress<Ctx extends object>(
  tasks: ListrTask<Ctx>[],
  options: { quiet: boolean; context?: Ctx },
): Promise<Ctx> {
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list = new Listr<Ctx, 'default', 'simple'>(tasks, {
    concurrent: false,
    exitOnError: true,
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: () => !process.stderr.isTTY,
    silentRendererCondition: () => options.quiet,
    rendererOptions: { logger },
    fallbackRendererOptions: { logger },
    registerSignalListeners: false,
    ctx: options.context,
  });
  return list.run();
}

/**
 * One long piece of work as a listr2 task whose line shows the current step: `fn` gets `report(text)`.
 * The work's own result is returned; a failure propagates unchanged.
 */
export async function withProgress<T>(
  title: string,
  options: { quiet: boolean },
  fn: (report: (step: string) => void) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await runWithProgress<object>(
    [
      {
        title,
        task: async (_ctx, task) => {
          result = await fn((step) => {
            task.output = step;
          });
        },
        rendererOptions: { persistentOutput: false },
      },
    ],
    { quiet: options.quiet },
  );
  return result as T;
}
