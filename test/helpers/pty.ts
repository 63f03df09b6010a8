import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * A program under a real pseudo-terminal, through util-linux `script`, so interactive prompts run
 * exactly as for a person: `expect` waits for text on the screen, `type` sends keystrokes.
 */
export class PtySession {
  private screen = '';
  /** Raw screen offset from which `expect` looks, moved past each answered prompt. */
  private cursor = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number>;

  constructor(commandLine: string, options: { cwd: string; env?: Record<string, string> }) {
    this.child = spawn('script', ['-qfec', commandLine, '/dev/null'], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', TERM: 'xterm', ...options.env },
    });
    this.child.stdout.on('data', (chunk: Buffer) => (this.screen += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.screen += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? -1)));
  }

  /** Everything the program wrote, without ANSI escape sequences. */
  get text(): string {
    return stripAnsi(this.screen);
  }

  async expect(pattern: string | RegExp, timeoutMs = 20_000): Promise<void> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      const text = stripAnsi(this.screen.slice(this.cursor));
      const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      if (found) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${this.text.slice(-2000)}`);
  }

  /** Type a line and press Enter (the pty turns \r into the key the prompt library expects). */
  async answer(pattern: string | RegExp, line: string): Promise<void> {
    await this.expect(pattern);
    this.cursor = this.screen.length;
    this.child.stdin.write(line + '\r');
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
