import { describe, expect, it } from 'vitest';
import { RowChecksum } from '../../../src/lib/backup/row-checksum.js';

const digestOf = (...chunks: string[]) => {
  const checksum = new RowChecksum();
  for (const chunk of chunks) checksum.update(Buffer.from(chunk, 'utf8'));
  return { digest: checksum.digest(), rows: checksum.rows };
};

describe('RowChecksum (order-free checksum of COPY text rows)', () => {
  const rows = ['1\tAnne\t\\N\n', '2\tBob "B"\t2026-11-19 23:59:59.123456+00\n', '3\tCé\\tline\\nbreak\t\\\\x00ff\n'];

  it('does not depend on row order nor on where the stream is cut into chunks', () => {
    const whole = digestOf(rows.join(''));
    expect(whole.rows).toBe(3);
    expect(digestOf(rows[2] ?? '', rows[0] ?? '', rows[1] ?? '')).toEqual(whole);
    const text = rows.join('');
    for (let cut = 1; cut < text.length; cut += 1) expect(digestOf(text.slice(0, cut), text.slice(cut))).toEqual(whole);
    // Byte by byte (a multi-byte character split too): rows spanning many chunks.
    const byteByByte = new RowChecksum();
    for (const byte of Buffer.from(text, 'utf8')) byteByByte.update(Uint8Array.of(byte));
    expect({ digest: byteByByte.digest(), rows: byteByByte.rows }).toEqual(whole);
  });

  it('changes when a row is doubled, dropped or altered by one byte', () => {
    const whole = digestOf(rows.join('')).digest;
    expect(digestOf(rows.join('') + rows[0]).digest).not.toBe(whole);
    expect(digestOf(rows.slice(1).join('')).digest).not.toBe(whole);
    expect(digestOf(rows.join('').replace('Anne', 'Anna')).digest).not.toBe(whole);
    // Two rows swapping a byte between them.
    expect(digestOf('ab\ncd\n').digest).not.toBe(digestOf('ad\ncb\n').digest);
  });

  it('is a stable 64-bit value (archives of format 2 record it)', () => {
    expect(digestOf('').digest).toBe('0');
    const { digest } = digestOf(rows.join(''));
    expect(BigInt(digest)).toBeLessThan(2n ** 64n);
    expect(digest).toMatchInlineSnapshot(`"8521507224978358909"`);
  });
});
