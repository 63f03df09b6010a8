/**
 * Segment files on disk: `000000000001.seg`, `000000000002.seg`, ... in the spool directory, plus
 * `spool-id`, a random id fixed when the directory is first used. Numbers only grow (the newest
 * segment is never deleted while the spool is open, so the next open continues after it), and the
 * id changes when the directory is wiped: together they make deduplication tokens that never
 * collide with an older, unrelated block still inside ClickHouse's deduplication window.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { withoutZeroPadding } from './record.js';

const SEGMENT_PATTERN = /^(\d{12})\.seg$/;
const SPOOL_ID_FILE = 'spool-id';

export function segmentName(sequence: number): string {
  return `${String(sequence).padStart(12, '0')}.seg`;
}

/** The 12-digit stem used in deduplication tokens ("000000000007"). */
export function segmentStem(name: string): string {
  return name.replace(/\.seg$/, '');
}

/** Segment files in the directory, oldest first. */
export async function listSegments(dir: string): Promise<{ name: string; sequence: number }[]> {
  const segments: { name: string; sequence: number }[] = [];
  for (const entry of await readdir(dir)) {
    const match = SEGMENT_PATTERN.exec(entry);
    if (match?.[1]) segments.push({ name: entry, sequence: Number(match[1]) });
  }
  return segments.sort((a, b) => a.sequence - b.sequence);
}

/** Makes a create, rename or unlink in `dir` survive a power loss. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads the directory's id, creating it durably on first use. */
export async function readOrCreateSpoolId(dir: string): Promise<string> {
  const file = join(dir, SPOOL_ID_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{16}$/.test(existing)) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Missing or damaged (a crash while creating it): nothing was acknowledged under a lost id, so a fresh one is safe.
  const id = randomBytes(8).toString('hex');
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(`${id}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await fsyncDirectory(dir);
  return id;
}

/**
 * The bytes a segment file holds up to its last byte of data: spare segments are zero-filled before use,
 * so a file's size says nothing about what is waiting in it. Reads backwards until it meets data.
 */
export async function segmentDataBytes(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    let end = (await file.stat()).size;
    const chunk = Buffer.allocUnsafe(Math.min(end, 1024 * 1024));
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await file.read(chunk, 0, end - start, start);
      const data = withoutZeroPadding(chunk.subarray(0, bytesRead)).length;
      if (data > 0) return start + data;
      end = start;
    }
    return 0;
  } finally {
    await file.close();
  }
}
