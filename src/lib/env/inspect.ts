import type { ConfigProblem, ConfigSource, LoadedConfig } from '../config/load.js';
import { redactValue } from '../config/variables.js';

export interface EnvCheckResult {
  ok: boolean;
  envFile: string;
  envFileExists: boolean;
  storageMode?: 'embedded' | 'servers' | 'mixed';
  problems: ConfigProblem[];
  warnings: string[];
}

export function checkEnv(loaded: LoadedConfig): EnvCheckResult {
  return {
    ok: loaded.problems.length === 0,
    envFile: loaded.envFile.path,
    envFileExists: loaded.envFile.exists,
    ...(loaded.config ? { storageMode: loaded.config.storageMode } : {}),
    problems: loaded.problems,
    warnings: loaded.warnings,
  };
}

export interface EnvShowResult {
  envFile: string;
  envFileExists: boolean;
  storageMode?: 'embedded' | 'servers' | 'mixed';
  variables: { name: string; value: string | null; source: ConfigSource; via?: string }[];
  problems: ConfigProblem[];
}

/** The effective configuration and where each value came from; secrets never leave unredacted. */
export function showEnv(loaded: LoadedConfig, options: { all: boolean }): EnvShowResult {
  return {
    envFile: loaded.envFile.path,
    envFileExists: loaded.envFile.exists,
    ...(loaded.config ? { storageMode: loaded.config.storageMode } : {}),
    variables: loaded.variables
      .filter((v) => options.all || v.source !== 'unset')
      .map((v) => ({
        name: v.name,
        value: v.value === undefined ? null : redactValue(v.name, v.value),
        source: v.source,
        ...(v.via ? { via: v.via } : {}),
      })),
    problems: loaded.problems,
  };
}
