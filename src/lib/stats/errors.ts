/**
 * A query the Stats API refuses, with the HTTP status and the message Plausible's v1 API gives for it,
 * so existing Plausible API clients see the same errors.
 */
export class StatsQueryError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 404 | 429 = 400,
  ) {
    super(message);
    this.name = 'StatsQueryError';
  }
}
