import { describe, expect, it } from 'vitest';
import { RowBlock } from '../../../src/lib/spool/row-block.js';

describe('RowBlock', () => {
  it('keeps rows as one newline-separated body and cuts any range of them, growing as needed', () => {
    const block = new RowBlock(8, 2);
    const rows = ['["a"]', '["bb"]', '[1,2,3]', '["a longer row than the first buffer"]'];
    for (const row of rows) block.push(Buffer.from(row));
    expect(block.count).toBe(4);
    expect(rows.map((_, index) => block.row(index).toString())).toEqual(rows);
    expect(block.lines(0, 4).toString()).toBe(`${rows.join('\n')}\n`);
    expect(block.lines(1, 3).toString()).toBe(`${rows[1]}\n${rows[2]}\n`);
    expect(block.lines(0, 0).length).toBe(0);
    expect(() => block.row(4)).toThrow(RangeError);
  });

  it('starts over after a reset', () => {
    const block = new RowBlock();
    block.push(Buffer.from('[1]'));
    block.reset();
    block.push(Buffer.from('[2]'));
    expect(block.count).toBe(1);
    expect(block.lines(0, 1).toString()).toBe('[2]\n');
  });
});
