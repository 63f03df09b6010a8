import { describe, expect, it } from 'vitest';
import { eventRowJson, SPOOL_COLUMNS, sessionRowJson } from '../../../src/lib/spool/rows.js';
import { eventRow, sessionRow } from './fixtures/rows.js';

/** What ClickHouse reads from a stored row: the values in SPOOL_COLUMNS order (ids as decimal strings). */
function columnsOf(row: object, table: 'events' | 'sessions'): unknown[] {
  const values = row as Record<string, unknown>;
  return SPOOL_COLUMNS[table].map((column) => (typeof values[column] === 'bigint' ? String(values[column]) : values[column]));
}

// Quotes, backslashes, control characters and non-ASCII text: the cases the byte writer hands to JSON.stringify.
const AWKWARD = ['say "hi"', 'back\\slash', 'tab\there\nnewline', 'Ünïcødé ✓', '\u0001'];

describe('stored rows', () => {
  it('writes every events column as JSON, and the same on a repeat', () => {
    for (const value of AWKWARD) {
      const event = { ...eventRow(1), browser: value, os: value, utm_source: value, pathname: value, referrer_source: value, prop_keys: ['k'], prop_values: [value] };
      const first = eventRowJson(event);
      expect(JSON.parse(first)).toEqual(columnsOf(event, 'events'));
      expect(eventRowJson({ ...event })).toBe(first);
    }
  });

  it('writes every sessions column as JSON', () => {
    for (const value of AWKWARD) {
      const session = { ...sessionRow(2), device: value, hostname: value, exit_page: value, sign: -1 as const };
      expect(JSON.parse(sessionRowJson(session))).toEqual(columnsOf(session, 'sessions'));
    }
  });

  it('writes the same bytes as JSON.stringify for any text, escapes and surrogates included', () => {
    // A fixed-seed generator: the same cases on every run.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pieces = ['a', 'Z', '/', ' ', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '✓', '😀', '\ud800', '\udfff', '~'];
    const text = () => Array.from({ length: Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const event = { ...eventRow(i), pathname: text(), referrer: text(), browser: text(), utm_term: text(), prop_keys: [text(), text()], prop_values: [text(), text()] };
      expect(Buffer.from(eventRowJson(event))).toEqual(Buffer.from(JSON.stringify(columnsOf(event, 'events'))));
      const session = { ...sessionRow(i), entry_page: text(), exit_page: text(), os: text() };
      expect(Buffer.from(sessionRowJson(session))).toEqual(Buffer.from(JSON.stringify(columnsOf(session, 'sessions'))));
    }
  });

  it('stores a country code that is not two letters as unknown', () => {
    const event = { ...eventRow(3), country_code: 'DEU' };
    expect(JSON.parse(eventRowJson(event))[SPOOL_COLUMNS.events.indexOf('country_code')]).toBe('');
  });
});
