import { describe, expect, it } from 'vitest';
import { JsonRowWriter } from '../../../src/lib/spool/json-row-writer.js';
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

  it('stores a country code that is not two letters as unknown, and a lower-case one in upper case', () => {
    const stored = (code: string) => JSON.parse(eventRowJson({ ...eventRow(3), country_code: code }))[SPOOL_COLUMNS.events.indexOf('country_code')];
    for (const bad of ['DEU', 'D', '', 'D1', '1D', 'Ä€', 'd-']) expect(stored(bad), bad).toBe('');
    expect(stored('DE')).toBe('DE');
    expect(stored('de')).toBe('DE');
    expect(stored('dE')).toBe('DE');
  });
});

describe('JsonRowWriter numbers', () => {
  it('writes numbers as String() does, whole ones digit by digit', () => {
    const values = [0, 1, 9, 10, 99, 100, 101, 1_000_000, 2 ** 31, 2 ** 32 + 5, 1_763_000_000_123, Number.MAX_SAFE_INTEGER, -1, -120, 1.5, 2 ** 53 + 2, 1e21];
    const out = new JsonRowWriter(4);
    for (const value of values) {
      out.reset();
      out.digits(value);
      expect(out.view().toString('latin1')).toBe(String(value));
    }
    out.reset();
    out.open();
    out.integer(7);
    out.integer(1234);
    out.close();
    expect(out.view().toString('latin1')).toBe('[7,1234]');
  });

  it('writes a 32-bit CRC as eight lower-case hex digits in place', () => {
    const out = new JsonRowWriter();
    for (const value of [0, 1, 0xabc, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff]) {
      out.reset();
      out.ascii('xx--------yy');
      out.hex32At(2, value);
      expect(out.view().toString('latin1')).toBe(`xx${value.toString(16).padStart(8, '0')}yy`);
    }
  });
});
