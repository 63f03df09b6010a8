/**
 * Why an event was not stored. Plausible answers 202 for every drop except a malformed request, so a
 * tracker on a misconfigured page never retries in a loop; the counters are how an operator sees drops.
 */
export const DROP_REASONS = [
  /** Malformed body: bad JSON, missing name/url, bad URL, oversized props. The only 400. */
  'invalid',
  /** Body larger than the server's cap; answered 413 before parsing. */
  'payload_too_large',
  /** No site with that domain. */
  'unknown_site',
  /** The site exists but ingestion is switched off (e.g. deleted, paused). */
  'site_ingest_disabled',
  /** Crawler, headless browser, monitoring agent or empty user agent. */
  'bot',
  /** Referrer host on the spam list. */
  'spam_referrer',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** A step's refusal, carried back to the server for the answer and the counters. */
export interface Drop {
  ok: false;
  reason: DropReason;
  /** Human-readable detail; for `invalid` it is the text of the 400 answer. */
  message: string;
  /** Plausible-style field errors (`{"url": ["is required"]}`) for `invalid`. */
  errors?: Record<string, string[]>;
}

export function drop(reason: DropReason, message: string, errors?: Record<string, string[]>): Drop {
  return errors ? { ok: false, reason, message, errors } : { ok: false, reason, message };
}

/** The HTTP status Plausible gives each drop: only client mistakes are errors. */
export function httpStatusFor(reason: DropReason): 202 | 400 | 413 {
  if (reason === 'invalid') return 400;
  if (reason === 'payload_too_large') return 413;
  return 202;
}

export interface IngestCountersSnapshot {
  accepted: number;
  dropped: Record<DropReason, number>;
}

/** Counts accepted events and drops per reason; cheap enough to call on every request. */
export class IngestCounters {
  private accepted = 0;
  private readonly dropped = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  count(reason: DropReason, by = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + by);
  }

  countAccepted(by = 1): void {
    this.accepted += by;
  }

  snapshot(): IngestCountersSnapshot {
    return {
      accepted: this.accepted,
      dropped: Object.fromEntries(this.dropped) as Record<DropReason, number>,
    };
  }
}
