/**
 * One growing Buffer for successive uses that never overlap (the spool's next write, a segment being
 * read, an insert body). Every `Buffer.allocUnsafe` beyond 4 KiB is a new off-heap allocation that V8
 * counts as external memory, and enough of it forces a full garbage collection (a 40+ ms pause under
 * load): at 10k events/s the per-write and per-flush buffers did that every few seconds.
 */
export class ReusableBuffer {
  private buffer: Buffer;

  constructor(initialBytes: number) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** A view of exactly `bytes` bytes; any view handed out before is invalid from now on. */
  take(bytes: number): Buffer {
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(bytes, this.buffer.length * 2));
    return this.buffer.subarray(0, bytes);
  }
}
