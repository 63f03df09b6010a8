/**
 * The rows of one table cut from a spool segment, kept the way the insert wants them: one body in which
 * each row is followed by a newline, plus where each row ends. A segment holds ~15k rows; as one Buffer
 * view per row they outlived a few young-generation collections while the insert ran and were promoted,
 * feeding full GCs (40–80 ms pauses under load). Reused from one segment to the next.
 */
const NEWLINE = 0x0a;

export class RowBlock {
  private bytes: Buffer;
  private ends: Uint32Array;
  private used = 0;
  /** Rows since the last reset. */
  count = 0;

  constructor(initialBytes = 1024 * 1024, initialRows = 8192) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
    this.ends = new Uint32Array(initialRows);
  }

  /** Empties the block; views handed out before are invalid from now on. */
  reset(): void {
    this.used = 0;
    this.count = 0;
  }

  push(row: Uint8Array): void {
    this.reserve(row.length + 1);
    this.bytes.set(row, this.used);
    this.endRow(row.length);
  }

  /** Appends bytes [start, end) of `source` as one row, without making a view of them. */
  pushRange(source: Buffer, start: number, end: number): void {
    this.reserve(end - start + 1);
    source.copy(this.bytes, this.used, start, end);
    this.endRow(end - start);
  }

  private reserve(bytes: number): void {
    const needed = this.used + bytes;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }

  private endRow(length: number): void {
    this.used += length;
    this.bytes[this.used++] = NEWLINE;
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count++] = this.used;
  }

  /** Row `index` without its newline (a view). */
  row(index: number): Buffer {
    if (index < 0 || index >= this.count) throw new RangeError(`row ${index} of ${this.count}`);
    return this.bytes.subarray(this.startOf(index), this.ends[index]! - 1);
  }

  /** Rows [from, to) as one insert body, each followed by a newline (a view). */
  lines(from: number, to: number): Buffer {
    return this.bytes.subarray(this.startOf(from), to === 0 ? 0 : this.ends[to - 1]);
  }

  private startOf(index: number): number {
    return index === 0 ? 0 : this.ends[index - 1]!;
  }
}
