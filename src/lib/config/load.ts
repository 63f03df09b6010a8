import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { closest, distance } from 'fastest-levenshtein';
import { type AppConfig, mailerWarnings, rawConfigSchema, toAppConfig } from './schema.js';
import { VARIABLES, type VariableSpec, isKnownVariable } from './variables.js';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default' | 'unset';

export interface ResolvedVariable {
  name: string;
  value: string | undefined;
  source: ConfigSource;
  /** The name the value was found under when it was an alias (e.g. GEOLITE2_COUNTRY_DB). */
  via?: string;
}

export interface ConfigProblem {
  variable: string;
  message: string;
  fix: string;
}

export interface LoadConfigOptions {
  /** Values given as command-line flags, keyed by variable name (highest precedence). */
  flags?: Partial<Record<string, string | undefined>>;
  env?: NodeJS.ProcessEnv;
  /** Path of the env file; a missing file is fine (the defaults apply) unless `requireFile`. */
  envFile?: string;
  requireFile?: boolean;
  /** Production checks for `env check`: BASE_URL and SECRET_KEY_BASE must be set. */
  strict?: boolean;
  cwd?: string;
}

export interface LoadedConfig {
  config?: AppConfig;
  variables: ResolvedVariable[];
  problems: ConfigProblem[];
  warnings: string[];
  envFile: { path: string; exists: boolean; mode?: string };
}

export function readEnvFile(file: string): Record<string, string> {
  return parseDotenv(readFileSync(file));
}

function sourceLabel(resolved: ResolvedVariable | undefined, envFilePath: string): string {
  switch (resolved?.source) {
    case 'flag':
      return 'the command-line flag';
    case 'env':
      return 'the environment';
    case 'file':
      return envFilePath;
    default:
      return `${envFilePath} or the environment`;
  }
}

/** Flag > process environment > env file > default, for each variable and its aliases. */
function resolveVariables(
  layers: { source: ConfigSource; values: Partial<Record<string, string | undefined>> }[],
): ResolvedVariable[] {
  return VARIABLES.map((spec: VariableSpec) => {
    for (const layer of layers) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) {
        const value = layer.values[name];
        if (value !== undefined) {
          return { name: spec.name, value, source: layer.source, ...(name === spec.name ? {} : { via: name }) };
        }
      }
    }
    return spec.default === undefined
      ? { name: spec.name, value: undefined, source: 'unset' }
      : { name: spec.name, value: spec.default, source: 'default' };
  });
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const envFilePath = path.resolve(cwd, options.envFile ?? '.env');
  const exists = existsSync(envFilePath);
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  let fileValues: Record<string, string> = {};
  let mode: string | undefined;

  if (exists) {
    fileValues = readEnvFile(envFilePath);
    mode = (statSync(envFilePath).mode & 0o777).toString(8).padStart(4, '0');
    if ((statSync(envFilePath).mode & 0o077) !== 0) {
      warnings.push(`${envFilePath} is readable by other users (mode ${mode}); run: chmod 600 ${envFilePath}`);
    }
    const known = VARIABLES.map((v) => v.name);
    for (const name of Object.keys(fileValues)) {
      if (isKnownVariable(name)) continue;
      const guess = closest(name, known);
      const hint = distance(name, guess) <= 3 ? ` (did you mean ${guess}?)` : '';
      warnings.push(`${envFilePath}: unknown variable ${name}${hint}`);
    }
  } else if (options.requireFile) {
    problems.push({
      variable: 'ENV_FILE',
      message: `${envFilePath} does not exist`,
      fix: 'create it with: analytics env generate',
    });
  }

  const variables = resolveVariables([
    { source: 'flag', values: options.flags ?? {} },
    { source: 'env', values: options.env ?? process.env },
    { source: 'file', values: fileValues },
  ]);
  const raw = Object.fromEntries(variables.map((v) => [v.name, v.value]));
  const byName = new Map(variables.map((v) => [v.name, v]));

  if (options.strict) {
    for (const name of ['BASE_URL', 'SECRET_KEY_BASE']) {
      if (!raw[name]) {
        problems.push({
          variable: name,
          message: 'is required',
          fix: `set ${name} in ${envFilePath} (analytics env generate writes a complete file)`,
        });
      }
    }
  }

  const parsed = rawConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'CONFIG');
      const where = sourceLabel(byName.get(variable), envFilePath);
      problems.push({ variable, message: issue.message, fix: `correct ${variable} in ${where}` });
    }
  }

  warnings.push(...mailerWarnings(raw));

  return {
    config: parsed.success && problems.length === 0 ? toAppConfig(parsed.data, cwd) : undefined,
    variables,
    problems,
    warnings,
    envFile: { path: envFilePath, exists, ...(mode ? { mode } : {}) },
  };
}
