import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/benchmarks.md');

/** Replaces (or appends) the `## name` section of docs/benchmarks.md, leaving the other benchmarks alone. */
export function writeBenchmarkSection(name: string, body: string): void {
  const header = '# Benchmarks\n\nMeasured on the project machines (2 cores, noisy, shared): compare the ratios, not the absolute numbers.\n';
  const text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : header;
  const section = `## ${name}\n\n${body.trim()}\n`;
  const pattern = new RegExp(`## ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(FILE, next.endsWith('\n') ? next : `${next}\n`);
  console.error(`wrote ${path.relative(process.cwd(), FILE)} (## ${name})`);
}
