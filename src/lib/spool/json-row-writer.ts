/**
 * Writes JSON values byte by byte into one growing Buffer. Spool rows are written with it instead of
 * template strings: a template with ~25 parts builds a tree of intermediate strings (a request's three
 * rows allocated ~7 KB that way), and the garbage collector's work grows with what is allocated.
 * The output is exactly what JSON.stringify would give, as UTF-8.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** Writes rows as JSON arrays: `open()`, one call per column (commas come by themselves), `close()`. */
export class JsonRowWriter {
  private buffer: Buffer;
  private end = 0;
  /** Whether the next column needs a comma before it. */
  private inRow = false;

  constructor(initialBytes = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.end = 0;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.end;
  }

  /** Forgets what was written after the first `length` bytes. */
  truncate(length: number): void {
    this.end = Math.min(this.end, length);
  }

  /** A view of what was written: valid until the next write or reset. */
  view(start = 0, end = this.end): Buffer {
    return this.buffer.subarray(start, end);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.end++] = value;
  }

  /** Starts a row: `[`. */
  open(): void {
    this.byte(OPEN_BRACKET);
    this.inRow = false;
  }

  close(): void {
    this.byte(CLOSE_BRACKET);
  }

  /** Text known to be ASCII with nothing to escape: numbers, fixed tokens. */
  ascii(text: string): void {
    this.reserve(text.length);
    const buffer = this.buffer;
    let end = this.end;
    for (let i = 0; i < text.length; i++) buffer[end++] = text.charCodeAt(i);
    this.end = end;
  }

  /**
   * Overwrites 8 bytes written earlier with `value` (an unsigned 32-bit number) as lowercase hex, zero
   * padded. Number#toString(16) goes through V8's runtime for numbers past 2^31 (half of all CRCs).
   */
  hex32At(at: number, value: number): void {
    for (let i = 7; i >= 0; i--) {
      this.buffer[at + i] = HEX_DIGITS[value & 0xf]!;
      value >>>= 4;
    }
  }

  integer(value: number): void {
    this.separate();
    this.digits(value);
  }

  /** A number in decimal, as String() writes it; whole numbers are written digit by digit, without a string. */
  digits(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      this.ascii(String(value));
      return;
    }
    let count = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) count++;
    this.reserve(count);
    let at = this.end + count;
    this.end = at;
    do {
      const next = Math.floor(value / 10);
      this.buffer[--at] = 0x30 + (value - next * 10);
      value = next;
    } while (value > 0);
  }

  /** A UInt64 as a JSON string ("123"): ClickHouse reads it into UInt64 and JSON.parse keeps it exact. */
  quotedBigint(value: bigint): void {
    this.separate();
    this.byte(QUOTE);
    this.ascii(value.toString());
    this.byte(QUOTE);
  }

  string(value: string): void {
    this.separate();
    this.writeString(value);
  }

  stringArray(values: readonly string[]): void {
    this.separate();
    this.byte(OPEN_BRACKET);
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.byte(COMMA);
      this.writeString(values[i]!);
    }
    this.byte(CLOSE_BRACKET);
  }

  private separate(): void {
    if (this.inRow) this.byte(COMMA);
    else this.inRow = true;
  }

  /** Printable ASCII without quotes or backslashes is copied as it is; anything else goes through JSON.stringify. */
  private writeString(value: string): void {
    // Rows replayed from old spool formats were parsed from JSON and may hold other types.
    if (typeof value !== 'string') {
      this.writeUtf8(JSON.stringify(value) ?? 'null');
      return;
    }
    const length = value.length;
    this.reserve(length + 2);
    const buffer = this.buffer;
    let end = this.end;
    buffer[end++] = QUOTE;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code < 0x20 || code > 0x7e || code === QUOTE || code === BACKSLASH) {
        // Starts over at this.end: the bytes copied so far are overwritten.
        this.writeUtf8(JSON.stringify(value));
        return;
      }
      buffer[end++] = code;
    }
    buffer[end++] = QUOTE;
    this.end = end;
  }

  private writeUtf8(text: string): void {
    this.reserve(text.length * 3);
    this.end += this.buffer.write(text, this.end, 'utf8');
  }

  private reserve(bytes: number): void {
    if (this.end + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.end + bytes, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.end);
    this.buffer = grown;
  }
}
