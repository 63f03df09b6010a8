import { AnalyticsError } from '../cli/errors.js';
import { toAnalyticsError } from '../cli/error-mapping.js';
import { STATUS_EXIT_CODE } from './types.js';

/**
 * An error of `health` or `doctor` themselves (bad configuration, unknown --check) keeps its message and
 * next steps but exits 3 UNKNOWN: a monitoring agent must never read a typo as WARNING (1) or CRITICAL (2).
 */
class UnknownStatusError extends AnalyticsError {
  readonly kind: AnalyticsError['kind'];
  constructor(inner: AnalyticsError) {
    super(inner.message, { code: inner.code, exitCode: STATUS_EXIT_CODE.UNKNOWN, actions: inner.actions, details: inner.details, cause: inner });
    this.kind = inner.kind;
  }
}

export function asMonitoringError(error: Error): Error {
  const known = toAnalyticsError(error);
  return known ? new UnknownStatusError(known) : error;
}
