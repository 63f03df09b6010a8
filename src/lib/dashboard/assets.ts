import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The bundled client as built by scripts/build-dashboard.mjs into dist/dashboard-client. */
export interface DashboardAssets {
  /** URL paths of the entry files, for the HTML shell. */
  scriptUrl: string;
  styleUrl: string;
  files: Map<string, DashboardAsset>;
}

export interface DashboardAsset {
  body: Buffer;
  gzip: Buffer;
  contentType: string;
  etag: string;
}

export const ASSET_PREFIX = '/dashboard/assets/';

/** From dist/lib/dashboard/ (the built server) and from src/lib/dashboard/ (a checkout after `npm run build`). */
export function dashboardAssetsDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/dashboard-client');
}

/**
 * Reads the bundle once at start-up (it is a few kilobytes) and gzips it once. Undefined when the client
 * was not built: the server still runs (ingestion matters more) and the pages say how to build it.
 */
export function loadDashboardAssets(dir: string = dashboardAssetsDir()): DashboardAssets | undefined {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { js: string; css: string };
  const files = new Map<string, DashboardAsset>();
  for (const name of [manifest.js, manifest.css]) {
    const body = readFileSync(path.join(dir, name));
    files.set(name, {
      body,
      gzip: gzipSync(body, { level: 9 }),
      contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'application/javascript; charset=utf-8',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  return { scriptUrl: `${ASSET_PREFIX}${manifest.js}`, styleUrl: `${ASSET_PREFIX}${manifest.css}`, files };
}
