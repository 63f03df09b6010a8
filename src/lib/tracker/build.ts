import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';

/** The budget from the design: the script must stay this small, gzipped. */
export const TRACKER_GZIP_BUDGET_BYTES = 1536;

export interface BuiltTracker {
  /** Minified JavaScript served as /js/script.js. */
  code: string;
  /** Strong ETag (quoted) derived from the code, for If-None-Match. */
  etag: string;
  /** The code gzipped once at build time, for clients that accept gzip. */
  gzip: Buffer;
  gzipBytes: number;
}

/**
 * `tracker.js` sits next to this module in the source tree. tsc does not copy .js files, so from a
 * compiled `dist/lib/tracker/` the build step must copy it alongside; the source tree is the fallback
 * when running from a checkout.
 */
export function trackerSourcePath(): string {
  const candidates = [
    new URL('./tracker.js', import.meta.url),
    new URL('../../../src/lib/tracker/tracker.js', import.meta.url),
  ].map((url) => fileURLToPath(url));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`tracker source not found; looked in ${candidates.join(', ')}`);
  return found;
}

/** Minifies the tracker. The result never changes while the process runs, so it is built once. */
export async function buildTracker(sourcePath: string = trackerSourcePath()): Promise<BuiltTracker> {
  const source = await readFile(sourcePath, 'utf8');
  // target es5 makes esbuild refuse any newer syntax that slipped into the source.
  const { code } = await transform(source, { minify: true, target: 'es5', legalComments: 'none', loader: 'js' });
  const gzip = gzipSync(code, { level: 9 });
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;
  return { code, etag, gzip, gzipBytes: gzip.length };
}
