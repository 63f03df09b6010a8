/**
 * The three error kinds a user meets (STYLE.md): something they can fix (with the next step),
 * an external command or service that failed, and a bug. Each maps to an exit code from DESIGN §3.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  actionNeeded: 4,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorJson {
  code: string;
  kind: AnalyticsError['kind'];
  message: string;
  actions: string[];
  exitCode: number;
  details?: Record<string, unknown>;
}

export abstract class AnalyticsError extends Error {
  abstract readonly kind: 'user' | 'external' | 'unreachable' | 'action-needed' | 'usage';
  readonly exitCode: number;
  readonly actions: string[];
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(
    message: string,
    options: { code: string; exitCode: number; actions?: string[]; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode;
    this.actions = options.actions ?? [];
    this.details = options.details;
  }

  toJSON(): ErrorJson {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      actions: this.actions,
      exitCode: this.exitCode,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** The user can fix this: the message says what is wrong, `actions` what to run next. */
export class UserError extends AnalyticsError {
  readonly kind = 'user' as const;
  constructor(message: string, options: { code?: string; actions?: string[]; details?: Record<string, unknown> } = {}) {
    super(message, { code: options.code ?? 'USER_ERROR', exitCode: ExitCode.failure, ...options });
  }
}

/** The command line itself is wrong (missing flag, bad value, no TTY to ask on). */
export class UsageError extends AnalyticsError {
  readonly kind = 'usage' as const;
  constructor(message: string, options: { code?: string; actions?: string[]; details?: Record<string, unknown> } = {}) {
    super(message, { code: options.code ?? 'USAGE', exitCode: ExitCode.usage, ...options });
  }
}

/** A required service (PostgreSQL, ClickHouse, the server, Docker) could not be reached. */
export class ServiceUnreachableError extends AnalyticsError {
  readonly kind = 'unreachable' as const;
  constructor(
    readonly service: string,
    readonly host: string,
    readonly reason: string,
    options: { actions?: string[]; cause?: unknown } = {},
  ) {
    super(`${service} at ${host} is unreachable: ${reason}`, {
      code: 'SERVICE_UNREACHABLE',
      exitCode: ExitCode.unreachable,
      actions: options.actions,
      details: { service, host, reason },
      cause: options.cause,
    });
  }
}

/** Nothing failed, but the operator has to act (pending migrations, stale backup). */
export class ActionNeededError extends AnalyticsError {
  readonly kind = 'action-needed' as const;
  constructor(message: string, options: { code?: string; actions?: string[]; details?: Record<string, unknown> } = {}) {
    super(message, { code: options.code ?? 'ACTION_NEEDED', exitCode: ExitCode.actionNeeded, ...options });
  }
}

/** An external program failed: keep its command line, exit code and the tail of its stderr. */
export class ExternalCommandError extends AnalyticsError {
  readonly kind = 'external' as const;
  constructor(
    readonly commandLine: string,
    readonly commandExitCode: number | undefined,
    readonly stderrTail: string,
    options: { actions?: string[]; cause?: unknown } = {},
  ) {
    super(
      `\`${commandLine}\` failed${commandExitCode === undefined ? '' : ` with exit code ${commandExitCode}`}` +
        (stderrTail ? `:\n${stderrTail}` : ''),
      {
        code: 'EXTERNAL_COMMAND_FAILED',
        exitCode: ExitCode.failure,
        actions: options.actions,
        details: { command: commandLine, exitCode: commandExitCode, stderr: stderrTail },
        cause: options.cause,
      },
    );
  }
}

export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
