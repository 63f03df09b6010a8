/**
 * The admin socket's wire format, shared by the server and the CLI: `POST /ops/<name>` with the
 * operation's input as JSON; the answer is `{ result }` (200) or `{ error: ErrorJson }` (4xx/5xx).
 */
import path from 'node:path';
import {
  ActionNeededError,
  AnalyticsError,
  ExitCode,
  ExternalCommandError,
  ServiceUnreachableError,
  UsageError,
  UserError,
  type ErrorJson,
} from '../cli/errors.js';

export const ADMIN_SOCKET_NAME = 'admin.sock';
export const OPERATIONS_PATH = '/ops/';
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Code of an error that was not an AnalyticsError in the server: a bug, reported as such by the CLI. */
export const BUG_CODE = 'BUG';

export function adminSocketPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), ADMIN_SOCKET_NAME);
}

export type AdminResponse<R> = { result: R } | { error: ErrorJson };

export function httpStatusOf(error: ErrorJson): number {
  if (error.code === BUG_CODE) return 500;
  switch (error.kind) {
    case 'usage':
      return 400;
    case 'action-needed':
      return 409;
    case 'unreachable':
      return 503;
    case 'external':
      return 502;
    default:
      return 422;
  }
}

/** An error as the server sent it → the same AnalyticsError subclass, so the CLI's exit code survives. */
export function errorFromJson(json: ErrorJson): Error {
  const options = { code: json.code, actions: json.actions, details: json.details };
  const details = json.details ?? {};
  const text = (key: string) => (typeof details[key] === 'string' ? (details[key] as string) : '');
  switch (json.kind) {
    case 'usage':
      return new UsageError(json.message, options);
    case 'action-needed':
      return new ActionNeededError(json.message, options);
    case 'unreachable':
      if (text('service') && text('host')) {
        return new ServiceUnreachableError(text('service'), text('host'), text('reason'), { actions: json.actions });
      }
      return new RemoteError(json, 'unreachable');
    case 'external':
      return new ExternalCommandError(
        text('command'),
        typeof details.exitCode === 'number' ? details.exitCode : undefined,
        text('stderr'),
        { actions: json.actions },
      );
    default:
      // A bug in the server stays a bug here: the CLI prints it as unexpected.
      if (json.code === BUG_CODE) return new Error(json.message);
      return new UserError(json.message, options);
  }
}

/** Keeps a server error whose shape this client does not know, with its exit code. */
class RemoteError extends AnalyticsError {
  readonly kind: AnalyticsError['kind'];
  constructor(json: ErrorJson, kind: AnalyticsError['kind']) {
    super(json.message, {
      code: json.code,
      exitCode: Number.isInteger(json.exitCode) ? json.exitCode : ExitCode.failure,
      actions: json.actions,
      details: json.details,
    });
    this.kind = kind;
  }
}
