import path from 'node:path';
import { PACKAGE_ROOT } from './engine.js';

/** The CLI entry point of this installation, for units and crontabs that run `analytics` by absolute path. */
export function binRunPath(): string {
  return path.join(PACKAGE_ROOT, 'bin/run.js');
}
