/**
 * An order-free checksum of PostgreSQL COPY text output, computed on the bytes as they stream past:
 * no second pass over the table. In COPY text format a row ends at a raw newline (newlines inside
 * values are written as `\n`), so rows are found with a native byte search, without parsing.
 *
 * Each row gets a 64-bit hash (two 32-bit lanes over its bytes, four at a time, each finished with
 * murmur3's fmix32); the table's checksum is their sum modulo 2^64: independent of row order (a
 * restored table may be read back in another order), and a doubled or missing row changes it. Not
 * cryptographic: the archive's sha256 guards the file, this guards the load into a database.
 */
const LANE_A_SEED = 0x811c9dc5;
const LANE_B_SEED = 0x9747b28c;
const NEWLINE = 0x0a;
const TWO_TO_32 = 4_294_967_296;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class RowChecksum {
  /** Complete rows seen so far. */
  rows = 0;
  private sumLow = 0;
  private sumHigh = 0;
  /** The start of a row whose newline is in a later chunk. */
  private partial: Buffer[] = [];

  update(data: Uint8Array): void {
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let start = 0;
    if (this.partial.length > 0) {
      const end = chunk.indexOf(NEWLINE);
      if (end === -1) {
        this.partial.push(Buffer.from(chunk));
        return;
      }
      const row = Buffer.concat([...this.partial, chunk.subarray(0, end)]);
      this.partial = [];
      this.addRow(row, 0, row.length);
      start = end + 1;
    }
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      this.addRow(chunk, start, end);
      start = end + 1;
    }
    // Copied: the caller may reuse its buffer once update returns.
    if (start < chunk.length) this.partial.push(Buffer.from(chunk.subarray(start)));
  }

  /** The sum of the row hashes as a decimal string; a last row without its newline counts as a row. */
  digest(): string {
    if (this.partial.length > 0) {
      const row = Buffer.concat(this.partial);
      this.partial = [];
      this.addRow(row, 0, row.length);
    }
    return ((BigInt(this.sumHigh) << 32n) | BigInt(this.sumLow)).toString();
  }

  private addRow(bytes: Buffer, start: number, end: number): void {
    const length = end - start;
    let a = LANE_A_SEED ^ length;
    let b = LANE_B_SEED;
    const wordsEnd = start + (length & ~3);
    let i = start;
    for (; i < wordsEnd; i += 4) {
      const word = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
      // Rotations carry high bits down, so every input bit reaches every output bit after fmix32.
      a = Math.imul(((a << 13) | (a >>> 19)) ^ word, 0x01000193);
      b = Math.imul(b ^ word, 0x9e3779b1);
      b = (b << 17) | (b >>> 15);
    }
    if (i < end) {
      let tail = 0;
      for (let shift = 0; i < end; i += 1, shift += 8) tail |= (bytes[i] as number) << shift;
      a = Math.imul(((a << 13) | (a >>> 19)) ^ tail, 0x27d4eb2f);
      b = Math.imul(b ^ tail, 0x165667b1);
    }
    const low = fmix32(a);
    const high = fmix32(b ^ Math.imul(length, 0x27d4eb2f) ^ low);
    let sumLow = this.sumLow + low;
    if (sumLow >= TWO_TO_32) {
      sumLow -= TWO_TO_32;
      this.sumHigh = (this.sumHigh + 1) >>> 0;
    }
    this.sumLow = sumLow;
    this.sumHigh = (this.sumHigh + high) >>> 0;
    this.rows += 1;
  }
}

/** Passes the chunks through unchanged while feeding them to `checksum`. */
export async function* checksummed(data: AsyncIterable<Uint8Array>, checksum: RowChecksum): AsyncGenerator<Uint8Array> {
  for await (const chunk of data) {
    checksum.update(chunk);
    yield chunk;
  }
}
