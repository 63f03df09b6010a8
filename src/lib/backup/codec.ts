/**
 * The archive's byte layers around the tar stream: compression (zstd through the optional native
 * binding `zstd-napi`, gzip from Node's zlib when the binding is not installed) and, optionally, age
 * encryption to a recipient. Reading detects each layer from its magic bytes, so an archive restores
 * whatever machine wrote it.
 */
import { createRequire } from 'node:module';
import { PassThrough, Readable, type Duplex, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { Decrypter, Encrypter } from 'age-encryption';
import { UserError } from '../cli/errors.js';

export type Compression = 'zstd' | 'gzip';

interface ZstdBinding {
  CompressStream: new (parameters?: Record<string, unknown>) => Transform;
  DecompressStream: new () => Transform;
}

let zstdBinding: ZstdBinding | null | undefined;

/** zstd-napi is an optional dependency (it compiles from source where no prebuild exists). */
function zstd(): ZstdBinding | null {
  if (zstdBinding === undefined) {
    try {
      zstdBinding = createRequire(import.meta.url)('zstd-napi') as ZstdBinding;
    } catch {
      zstdBinding = null;
    }
  }
  return zstdBinding;
}

/** The compression new archives use on this machine. */
export function defaultCompression(): Compression {
  return zstd() ? 'zstd' : 'gzip';
}

export function compressor(compression: Compression): Transform {
  if (compression === 'gzip') return createGzip({ level: 6 });
  const binding = zstd();
  if (!binding) throw new UserError('zstd is not available here (the optional zstd-napi module is not installed)');
  // Level 1: Native columns and row text compress well already at the fastest level (bench:backup), and the
  // export must keep up with the plain one. One worker thread compresses, so the server's event loop (which
  // runs backups while it owns the data) keeps answering while a part is compressed.
  return new binding.CompressStream({ compressionLevel: 1, checksumFlag: true, nbWorkers: 1 });
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const AGE_MAGIC = Buffer.from('age-encryption.org/');

export function detectCompression(head: Uint8Array): Compression | undefined {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (bytes.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  if (bytes.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  return undefined;
}

export function isAgeEncrypted(head: Uint8Array): boolean {
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC);
}

export function decompressor(compression: Compression): Transform {
  if (compression === 'gzip') return createGunzip();
  const binding = zstd();
  if (!binding) {
    throw new UserError('This archive is zstd-compressed, but zstd is not available here (zstd-napi is not installed)', {
      code: 'BACKUP_ZSTD_UNAVAILABLE',
      actions: ['install the optional dependency: npm install zstd-napi (needs a C++ compiler when no prebuild exists)'],
    });
  }
  return new binding.DecompressStream();
}

/** age: an X25519 recipient (age1...) from BACKUP_ENCRYPTION_RECIPIENT / --recipient. */
export async function encryptStream(source: Readable, recipient: string): Promise<Readable> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const web = Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await encrypter.encrypt(web);
  return Readable.fromWeb(encrypted as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** Decrypts with the identities (AGE-SECRET-KEY-1... lines of an identity file). */
export async function decryptStream(source: Readable, identities: string[]): Promise<Readable> {
  if (identities.length === 0) {
    throw new UserError('The archive is encrypted with age: pass the identity file that matches its recipient', {
      code: 'BACKUP_IDENTITY_NEEDED',
      actions: ['add --identity /path/to/backup-key.txt (the file age-keygen wrote, with AGE-SECRET-KEY-1...)'],
    });
  }
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  const web = Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>;
  let decrypted: ReadableStream<Uint8Array>;
  try {
    decrypted = await decrypter.decrypt(web);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no identity matched|failed to decrypt file key|incorrect/i.test(message)) {
      throw new UserError('None of the given age identities can decrypt this archive (wrong key file?)', {
        code: 'BACKUP_WRONG_IDENTITY',
        actions: ['pass the identity whose public key (age1...) was BACKUP_ENCRYPTION_RECIPIENT when the backup was made'],
      });
    }
    throw error;
  }
  return Readable.fromWeb(decrypted as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** Reads identity lines (comments and blank lines skipped) from an age identity file's text. */
export function parseIdentities(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('AGE-SECRET-KEY-'));
}

/**
 * Returns the first bytes of a stream without consuming them: the stream handed back yields
 * everything, head included.
 */
export async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  const rest = new PassThrough();
  rest.write(head);
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        if (!rest.write(next.value)) await new Promise((resolve) => rest.once('drain', resolve));
      }
      rest.end();
    } catch (error) {
      rest.destroy(error as Error);
    }
  })();
  return { head, stream: rest };
}

export type { Duplex };
