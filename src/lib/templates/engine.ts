import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `templates/` of the installed package (src/ and dist/ sit at the same depth below the package root). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TEMPLATE_ROOT = path.join(PACKAGE_ROOT, 'templates');

export type TemplateValues = Record<string, string | boolean>;

/**
 * The whole template language: `{{name}}` is replaced by a value, and lines `{{#if name}}` … `{{/if}}` keep
 * what they enclose only when `name` is true. Placeholders use double braces because the files themselves are
 * full of `${VAR}` (compose) and `{$VAR}`/`{scheme}` (Caddy), which must pass through untouched. An unknown
 * name is an error, never an empty string: a half-rendered production file is worse than none.
 */
export function renderTemplate(text: string, values: TemplateValues, source = 'template'): string {
  const out: string[] = [];
  const stack: boolean[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const where = `${source}:${index + 1}`;
    const open = /^\s*\{\{#if (\w+)\}\}\s*$/.exec(line);
    if (open) {
      stack.push(truthy(lookup(values, open[1] as string, where)));
      return;
    }
    if (/^\s*\{\{\/if\}\}\s*$/.test(line)) {
      if (stack.pop() === undefined) throw new Error(`${where}: {{/if}} without {{#if}}`);
      return;
    }
    if (stack.includes(false)) return;
    out.push(line.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(lookup(values, name, where))));
  });
  if (stack.length) throw new Error(`${source}: {{#if}} without {{/if}}`);
  return out.join('\n');
}

function lookup(values: TemplateValues, name: string, where: string): string | boolean {
  const value = values[name];
  if (value === undefined) throw new Error(`${where}: no value for {{${name}}}`);
  return value;
}

function truthy(value: string | boolean): boolean {
  return value === true || value === 'true';
}

export function readTemplate(relative: string): string {
  return readFileSync(path.join(TEMPLATE_ROOT, relative), 'utf8');
}
