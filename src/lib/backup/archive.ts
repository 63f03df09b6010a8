/**
 * One backup = one file: a tar stream (members split into parts of at most PART_BYTES, because a
 * tar header needs the size before the data and the stores stream results of unknown length),
 * compressed, optionally age-encrypted. Written under a temporary name, fsynced, then renamed, so a
 * crash never leaves a file that looks complete. Reading yields members in archive order, each part
 * streamed, never the whole archive in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { extract as tarExtract, type Header } from 'tar-stream';

/** One tar entry as tar-stream's async iterator yields it: a readable of its bytes with its header. */
type TarEntry = AsyncIterable<Buffer> & { header: Header };
import {
  compressor,
  decompressor,
  decryptStream,
  detectCompression,
  encryptStream,
  isAgeEncrypted,
  peek,
  type Compression,
} from './codec.js';
import { BackupCorruptError } from './errors.js';

/** Largest part buffered before it becomes a tar entry: bounds the memory a backup needs. */
export const PART_BYTES = 16 * 1024 * 1024;
const BLOCK = 512;

export interface MemberDigest {
  sha256: string;
  bytes: number;
  parts: number;
}

export interface WrittenArchive {
  path: string;
  bytes: number;
  sha256: string;
  compression: Compression;
  encrypted: boolean;
}

/** Counts and hashes the bytes that reach the file. */
class DigestTap extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

export class ArchiveWriter {
  private readonly tap = new DigestTap();
  private readonly done: Promise<void>;
  private failed: unknown;
  readonly digests = new Map<string, MemberDigest>();

  private constructor(
    private readonly tarStream: PassThrough,
    readonly finalPath: string,
    readonly tempPath: string,
    readonly compression: Compression,
    readonly encrypted: boolean,
    layers: Promise<Readable>,
  ) {
    this.done = layers
      .then((readable) => pipeline(readable, this.tap, createWriteStream(tempPath, { mode: 0o600, flags: 'wx' })))
      .catch((error: unknown) => {
        this.failed = error;
        this.tarStream.destroy();
        throw error;
      });
    // Surfaced by write()/finish(); never an unhandled rejection.
    this.done.catch(() => undefined);
  }

  static create(finalPath: string, options: { compression: Compression; recipient?: string | undefined }): ArchiveWriter {
    const tempPath = `${finalPath}.partial-${process.pid}`;
    const tarStream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const compressed = tarStream.pipe(compressor(options.compression));
    compressed.on('error', (error) => tarStream.destroy(error));
    const layers = options.recipient ? encryptStream(compressed, options.recipient) : Promise.resolve(compressed);
    return new ArchiveWriter(tarStream, finalPath, tempPath, options.compression, Boolean(options.recipient), layers);
  }

  /** Writes one member from a byte stream, in parts, recording its sha256 and size. */
  async addMember(name: string, source: AsyncIterable<Uint8Array>): Promise<MemberDigest> {
    const hash = createHash('sha256');
    let bytes = 0;
    let parts = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // Double buffering: the previous part is compressed and written while the next one is read from the
    // store, so reading and compressing overlap; memory stays at about two parts.
    let writing: Promise<void> = Promise.resolve();
    const flushPart = async () => {
      parts += 1;
      const entry = `${name}.${String(parts).padStart(6, '0')}`;
      const chunks = pending;
      const size = pendingBytes;
      pending = [];
      pendingBytes = 0;
      await writing;
      writing = this.writeEntry(entry, chunks, size);
      writing.catch(() => undefined);
    };
    for await (const raw of readAhead(source)) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      hash.update(chunk);
      bytes += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= PART_BYTES) await flushPart();
    }
    if (pendingBytes > 0 || parts === 0) await flushPart();
    await writing;
    const digest = { sha256: hash.digest('hex'), bytes, parts };
    this.digests.set(name, digest);
    return digest;
  }

  /** A small member written whole (the manifest). */
  async addFile(name: string, content: Buffer): Promise<void> {
    await this.writeEntry(name, [content], content.length);
  }

  /** Ends the tar stream and makes the file durable under its final name. */
  async finish(): Promise<WrittenArchive> {
    await this.write(Buffer.alloc(BLOCK * 2));
    this.tarStream.end();
    await this.done;
    const handle = await open(this.tempPath, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.tempPath, this.finalPath);
    await fsyncDirectory(dirname(this.finalPath));
    return {
      path: this.finalPath,
      bytes: this.tap.bytes,
      sha256: this.tap.hash.digest('hex'),
      compression: this.compression,
      encrypted: this.encrypted,
    };
  }

  /** Removes the temporary file after a failure. */
  async abort(): Promise<void> {
    this.tarStream.destroy();
    await this.done.catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  /** One tar entry from the chunks as they came (no copy into one buffer). */
  private async writeEntry(name: string, chunks: Buffer[], size: number): Promise<void> {
    await this.write(tarHeader(name, size));
    for (const chunk of chunks) await this.write(chunk);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (padding > 0) await this.write(Buffer.alloc(padding));
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.tarStream.write(chunk)) {
      await Promise.race([once(this.tarStream, 'drain'), this.done.then(() => undefined)]);
      if (this.failed) throw this.failed;
    }
  }
}

/**
 * Asks the source for its next chunk before handing on the current one: a pull-based producer (chDB fetches
 * each block on a libuv thread only when asked) then works while this chunk is hashed and compressed.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<T>> | undefined = iterator.next();
  try {
    for (;;) {
      const result: IteratorResult<T> = await next;
      if (result.done) {
        next = undefined;
        return;
      }
      next = iterator.next();
      next.catch(() => undefined); // awaited on the next turn, or dropped by finally
      yield result.value;
    }
  } finally {
    if (next) {
      // Stopped early: let the fetch in flight finish, then close the source.
      await next.catch(() => undefined);
      await iterator.return?.();
    }
  }
}

/** A ustar header for a regular file (names here are short ASCII paths). */
function tarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new RangeError(`tar member name too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write('0000600\0', 100, 8, 'ascii');
  header.write('0000000\0', 108, 8, 'ascii');
  header.write('0000000\0', 116, 8, 'ascii');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface ArchiveMember {
  /** The member name without its part suffix. */
  name: string;
  /** The member's bytes, all its parts in order. Consume fully (or not at all) before the next member. */
  data: AsyncIterable<Buffer>;
}

export interface ArchiveReadInfo {
  compression?: Compression;
  encrypted: boolean;
}

const PART_SUFFIX = /\.(\d{6})$/;

/**
 * Streams the members of an archive. Damage anywhere (a flipped byte caught by zstd's or age's
 * checks, a cut-off file, a broken tar header) surfaces as BackupCorruptError; a wrong identity as
 * the codec's UserError.
 */
export async function* readArchive(
  path: string,
  options: { identities?: string[]; info?: ArchiveReadInfo } = {},
): AsyncGenerator<ArchiveMember> {
  const info: ArchiveReadInfo = options.info ?? { encrypted: false };
  let source: Readable = createReadStream(path, { highWaterMark: 1024 * 1024 });
  const fileHead = await peek(source, 32);
  source = fileHead.stream;
  if (isAgeEncrypted(fileHead.head)) {
    info.encrypted = true;
    source = await wrapCorruption(path, () => decryptStream(source, options.identities ?? []));
  }
  const head = await wrapCorruption(path, () => peek(source, 4));
  const compression = detectCompression(head.head);
  if (!compression) {
    throw new BackupCorruptError(path, 'it is neither a zstd nor a gzip stream (not an analytics backup, or damaged)');
  }
  info.compression = compression;
  const plain = head.stream.pipe(decompressor(compression));
  head.stream.on('error', (error) => plain.destroy(error));

  const extract = tarExtract();
  const feeding = pipeline(plain, extract).catch((error: unknown) => {
    extract.destroy(error as Error);
  });
  try {
    const entries = (extract as unknown as AsyncIterable<TarEntry>)[Symbol.asyncIterator]();
    let current = await nextEntry(path, entries);
    while (current) {
      const entry = current;
      const match = PART_SUFFIX.exec(entry.header.name);
      const name = match ? entry.header.name.slice(0, -match[0].length) : entry.header.name;
      let following: TarEntry | undefined;
      let advanced = false;
      const data = async function* (): AsyncGenerator<Buffer> {
        let part: TarEntry | undefined = entry;
        let expected = 1;
        while (part) {
          const partMatch = PART_SUFFIX.exec(part.header.name);
          const partName = partMatch ? part.header.name.slice(0, -partMatch[0].length) : part.header.name;
          if (partName !== name) break;
          if (match && Number(partMatch?.[1]) !== expected) {
            throw new BackupCorruptError(path, `member ${name} has part ${partMatch?.[1]} where part ${expected} belongs`);
          }
          expected += 1;
          try {
            for await (const chunk of part) yield chunk;
          } catch (error) {
            throw corruption(path, error);
          }
          part = await nextEntry(path, entries);
          if (!match) break;
        }
        following = part;
        advanced = true;
      };
      yield { name, data: data() };
      if (!advanced) {
        // The consumer skipped this member: read past its parts.
        for await (const chunk of data()) void chunk;
      }
      current = following;
    }
  } finally {
    extract.destroy();
    plain.destroy();
    await feeding;
  }
}

async function nextEntry(path: string, entries: AsyncIterator<TarEntry>): Promise<TarEntry | undefined> {
  try {
    const next = await entries.next();
    return next.done ? undefined : next.value;
  } catch (error) {
    throw corruption(path, error);
  }
}

async function wrapCorruption<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw corruption(path, error);
  }
}

function corruption(path: string, error: unknown): Error {
  if (error instanceof BackupCorruptError) return error;
  if (error instanceof Error && 'exitCode' in error) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BackupCorruptError(path, message);
}

/** sha256 and size of a whole file, streamed. */
export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
