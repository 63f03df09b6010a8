// Bundles the dashboard client (client/dashboard) into dist/dashboard-client with content-hashed names,
// so the server can let browsers cache them for a year; manifest.json maps the entry to those names.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'dashboard-client');
mkdirSync(outdir, { recursive: true });

const result = await build({
  entryPoints: [path.join(root, 'client', 'dashboard', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outdir,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const manifest = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const name = path.basename(file);
  if (name.endsWith('.js')) manifest.js = name;
  else if (name.endsWith('.css')) manifest.css = name;
  manifest[`${name}:bytes`] = output.bytes;
}
if (!manifest.js || !manifest.css) throw new Error(`dashboard build produced no js/css: ${JSON.stringify(manifest)}`);
writeFileSync(path.join(outdir, 'manifest.json'), `${JSON.stringify({ js: manifest.js, css: manifest.css }, null, 2)}\n`);
console.error(`dashboard client: ${manifest.js} (${manifest[`${manifest.js}:bytes`]} B), ${manifest.css} (${manifest[`${manifest.css}:bytes`]} B)`);
