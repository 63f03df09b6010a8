import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../cli/errors.js';
import { writeFileAtomic0600 } from '../env/env-file.js';

export interface PlannedFile {
  /** Where the file goes (absolute). */
  path: string;
  content: string;
  /** 0o600 for files holding secrets; 0o644 otherwise. */
  mode: number;
}

export type FileAction = 'created' | 'overwritten' | 'unchanged' | 'kept' | 'would-create' | 'would-overwrite';

export interface WrittenFile {
  path: string;
  action: FileAction;
  mode: string;
}

export interface WriteOptions {
  dryRun: boolean;
  force: boolean;
  /** Asks whether to overwrite one changed file; undefined when nobody can be asked. */
  confirmOverwrite?: (file: string) => Promise<boolean>;
}

/**
 * Writes rendered files, never overwriting silently: identical files are left alone (so re-running setup
 * changes nothing), changed ones are overwritten only with --force or a yes on the terminal, and without
 * either the whole write is refused before anything is touched. --dry-run only reports.
 */
export async function writeFiles(files: PlannedFile[], options: WriteOptions): Promise<WrittenFile[]> {
  const changed = files.filter((f) => existsSync(f.path) && readFileSync(f.path, 'utf8') !== f.content);
  if (changed.length && !options.force && !options.dryRun && !options.confirmOverwrite) {
    throw new UserError(
      `${changed.length} file(s) exist with different content and were left unchanged:\n` +
        changed.map((f) => `  - ${f.path}`).join('\n'),
      {
        code: 'FILES_EXIST',
        actions: ['run again with --dry-run to see what would change', 'run again with --force to overwrite them'],
        details: { files: changed.map((f) => f.path) },
      },
    );
  }
  const results: WrittenFile[] = [];
  for (const file of files) {
    const mode = `0${file.mode.toString(8)}`;
    const exists = existsSync(file.path);
    const same = exists && readFileSync(file.path, 'utf8') === file.content;
    if (same) {
      // Same content, but a secrets file must still end up private.
      if (!options.dryRun && (statSync(file.path).mode & 0o777) !== file.mode) chmodSync(file.path, file.mode);
      results.push({ path: file.path, action: 'unchanged', mode });
      continue;
    }
    if (options.dryRun) {
      results.push({ path: file.path, action: exists ? 'would-overwrite' : 'would-create', mode });
      continue;
    }
    if (exists && !options.force && !(await options.confirmOverwrite?.(file.path))) {
      results.push({ path: file.path, action: 'kept', mode });
      continue;
    }
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileAtomic0600(file.path, file.content);
    chmodSync(file.path, file.mode);
    results.push({ path: file.path, action: exists ? 'overwritten' : 'created', mode });
  }
  return results;
}
