import { describe, expect, it } from 'vitest';
import { DROP_REASONS, IngestCounters, httpStatusFor } from '../../../src/lib/ingest/drop-reasons.js';

describe('IngestCounters', () => {
  it('starts every reason at zero so dashboards see the full set', () => {
    const snapshot = new IngestCounters().snapshot();
    expect(snapshot.accepted).toBe(0);
    expect(Object.keys(snapshot.dropped).sort()).toEqual([...DROP_REASONS].sort());
    expect(Object.values(snapshot.dropped).every((n) => n === 0)).toBe(true);
  });

  it('counts accepted events and drops per reason', () => {
    const counters = new IngestCounters();
    counters.count('bot');
    counters.count('bot');
    counters.count('unknown_site', 3);
    counters.countAccepted();
    const snapshot = counters.snapshot();
    expect(snapshot).toMatchObject({ accepted: 1, dropped: { bot: 2, unknown_site: 3, invalid: 0 } });
  });

  it('returns a snapshot that later counts do not change', () => {
    const counters = new IngestCounters();
    const before = counters.snapshot();
    counters.count('bot');
    expect(before.dropped.bot).toBe(0);
  });
});

describe('httpStatusFor', () => {
  it('answers 202 to everything but client mistakes, like Plausible', () => {
    expect(httpStatusFor('invalid')).toBe(400);
    expect(httpStatusFor('payload_too_large')).toBe(413);
    expect(httpStatusFor('bot')).toBe(202);
    expect(httpStatusFor('unknown_site')).toBe(202);
  });
});
