/**
 * A real small filesystem for disk checks: a tmpfs of a few MiB mounted on a temp dir (tests run as
 * root, as CI does). Fails loudly when mounting is not allowed rather than testing nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface Tmpfs {
  dir: string;
  /** Writes a file so that `freeRatio` of the filesystem stays available. */
  fillTo(freeRatio: number): Promise<void>;
  unmount(): Promise<void>;
}

export async function mountTmpfs(sizeMiB: number, options: { readOnly?: boolean } = {}): Promise<Tmpfs> {
  const dir = mkdtempSync(path.join(tmpdir(), 'analytics-tmpfs-'));
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir], { reject: false });
  if (mounted.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not mount a tmpfs on ${dir} (the disk tests need root): ${mounted.stderr}`);
  }
  return {
    dir,
    async fillTo(freeRatio) {
      const fill = path.join(dir, 'fill');
      rmSync(fill, { force: true });
      const fs = await statfs(dir);
      const total = fs.blocks * fs.bsize;
      const bytes = Math.max(0, fs.bavail * fs.bsize - Math.round(total * freeRatio));
      writeFileSync(fill, Buffer.alloc(bytes));
    },
    async unmount() {
      await execa('umount', [dir], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
