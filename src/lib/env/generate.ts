import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, readEnvFile } from '../config/load.js';
import { rawConfigSchema } from '../config/schema.js';
import { redactValue } from '../config/variables.js';
import { UsageError, UserError } from '../cli/errors.js';
import { serializeEnv, writeFileAtomic0600 } from './env-file.js';
import type { Prompter } from './prompter.js';
import { generatePassword, generateSecretKeyBase } from './secrets.js';

export interface EnvGenerateOptions {
  output: string;
  /** Answers given as flags, keyed by flag name (without dashes). */
  answers: Partial<Record<AnswerFlag, string>>;
  yes: boolean;
  force: boolean;
  rotateSecrets: boolean;
  /** Undefined when nobody can be asked (no TTY): missing required answers then fail. */
  prompter?: Prompter;
}

export interface EnvGenerateResult {
  path: string;
  action: 'created' | 'overwritten';
  mode: '0600';
  storage: 'embedded' | 'servers';
  /** Every variable written, secrets redacted. */
  variables: Record<string, string>;
  generatedSecrets: string[];
  keptSecrets: string[];
}

export type AnswerFlag =
  | 'base-url'
  | 'port'
  | 'data-dir'
  | 'storage'
  | 'database-url'
  | 'clickhouse-url'
  | 'admin-email'
  | 'admin-name'
  | 'admin-password'
  | 'mailer'
  | 'mailer-email'
  | 'mailer-name'
  | 'smtp-host'
  | 'smtp-port'
  | 'smtp-user'
  | 'smtp-password'
  | 'smtp-ssl'
  | 'smtp-retries'
  | 'geoip-db'
  | 'trusted-proxies'
  | 'backup-dir'
  | 'backup-recipient';

interface Question {
  flag: AnswerFlag;
  variable?: string;
  message: string;
  default?: string;
  required?: boolean;
  secret?: boolean;
  choices?: { value: string; name: string }[];
}

/** Validate one answer with the same schema `env check` uses, so the wizard can't write what check rejects. */
function validateAnswer(variable: string | undefined, value: string): true | string {
  if (!variable || value === '') return true;
  const field = (rawConfigSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }>)[variable];
  const result = field?.safeParse(value);
  if (!result || result.success) return true;
  return `${variable} ${result.error?.issues[0]?.message ?? 'is invalid'}`;
}

class Wizard {
  readonly asked = new Set<string>();

  constructor(
    private readonly options: EnvGenerateOptions,
    private readonly existing: Record<string, string>,
  ) {}

  /** flag → existing file → default under --yes → prompt → default without a TTY → fail naming the flag. */
  async ask(question: Question): Promise<string> {
    if (question.variable) this.asked.add(question.variable);
    const given = this.options.answers[question.flag];
    if (given !== undefined) return this.checked(question, given);
    const previous = question.variable ? this.existing[question.variable] : undefined;
    const fallback = previous ?? question.default;
    const { prompter, yes } = this.options;
    if (!yes && prompter) return this.prompt(prompter, question, fallback);
    if (fallback !== undefined) return fallback;
    if (!question.required) return '';
    throw new UsageError(
      `Missing ${question.message.toLowerCase()}: pass --${question.flag}` +
        (prompter ? '' : ' (no terminal to ask on)'),
      { code: 'MISSING_ANSWER', actions: [`analytics env generate --${question.flag} VALUE ...`] },
    );
  }

  private checked(question: Question, value: string): string {
    if (question.choices && !question.choices.some((c) => c.value === value)) {
      throw new UsageError(
        `--${question.flag} must be one of ${question.choices.map((c) => c.value).join(', ')} (got "${value}")`,
      );
    }
    const verdict = validateAnswer(question.variable, value);
    if (verdict !== true) throw new UsageError(`--${question.flag}: ${verdict}`);
    return value;
  }

  private async prompt(prompter: Prompter, question: Question, fallback: string | undefined): Promise<string> {
    const validate = (value: string): true | string => {
      if (question.required && value.trim() === '') return 'An answer is required';
      return validateAnswer(question.variable, value.trim());
    };
    if (question.choices) return prompter.select(question.message, question.choices, fallback);
    if (question.secret) {
      const value = await prompter.secret(`${question.message}${fallback ? ' (empty keeps the current one)' : ''}`, {
        validate: (v) => (v === '' && (fallback || !question.required) ? true : validate(v)),
      });
      return value === '' ? (fallback ?? '') : value;
    }
    return (await prompter.input(question.message, { default: fallback, validate })).trim();
  }
}

export async function generateEnv(options: EnvGenerateOptions): Promise<EnvGenerateResult> {
  const file = path.resolve(options.output);
  const exists = existsSync(file);
  if (exists && !options.force) {
    const overwrite =
      !options.yes && options.prompter
        ? await options.prompter.confirm(`${file} exists. Overwrite it (existing secrets are kept)?`, false)
        : false;
    if (!overwrite) {
      throw new UserError(`${file} already exists; it was left unchanged`, {
        code: 'ENV_FILE_EXISTS',
        actions: [
          'analytics env generate --force   (overwrite; existing secrets are kept)',
          'analytics env generate --force --rotate-secrets   (overwrite with a new SECRET_KEY_BASE)',
          'analytics env generate --output OTHER_FILE',
        ],
      });
    }
  }
  const existing = exists ? readEnvFile(file) : {};
  const wizard = new Wizard(options, existing);
  const values: Record<string, string> = {};
  const set = (name: string, value: string): void => {
    if (value !== '') values[name] = value;
  };

  const baseUrl = await wizard.ask({
    flag: 'base-url',
    variable: 'BASE_URL',
    message: 'Public URL of the analytics server',
    required: true,
  });
  set('BASE_URL', baseUrl.replace(/\/+$/, ''));
  set('PORT', await wizard.ask({ flag: 'port', variable: 'PORT', message: 'HTTP port', default: '8000' }));
  set('DATA_DIR', await wizard.ask({ flag: 'data-dir', variable: 'DATA_DIR', message: 'Data directory', default: './data' }));

  const hadServers = Boolean(existing.DATABASE_URL || existing.CLICKHOUSE_URL);
  const storage = (await wizard.ask({
    flag: 'storage',
    message: 'Storage',
    default: hadServers ? 'servers' : 'embedded',
    choices: [
      { value: 'embedded', name: 'embedded (PGlite + chDB in the data directory, no servers needed)' },
      { value: 'servers', name: 'servers (PostgreSQL + ClickHouse, e.g. the docker compose stack)' },
    ],
  })) as 'embedded' | 'servers';

  const generatedSecrets: string[] = [];
  const keptSecrets: string[] = [];
  const secret = (name: string, make: () => string, rotate: boolean): string => {
    const current = existing[name];
    if (current && !rotate) {
      keptSecrets.push(name);
      return current;
    }
    generatedSecrets.push(name);
    return make();
  };

  set('SECRET_KEY_BASE', secret('SECRET_KEY_BASE', generateSecretKeyBase, options.rotateSecrets));

  if (storage === 'servers') {
    // Database passwords are never rotated here: the database itself has to change first.
    const pgPassword = secret('POSTGRES_PASSWORD', generatePassword, false);
    const chPassword = secret('CLICKHOUSE_PASSWORD', generatePassword, false);
    set('POSTGRES_PASSWORD', pgPassword);
    set('CLICKHOUSE_PASSWORD', chPassword);
    set(
      'DATABASE_URL',
      await wizard.ask({
        flag: 'database-url',
        variable: 'DATABASE_URL',
        message: 'PostgreSQL URL',
        default: `postgres://analytics:${pgPassword}@localhost:5432/analytics`,
      }),
    );
    set(
      'CLICKHOUSE_URL',
      await wizard.ask({
        flag: 'clickhouse-url',
        variable: 'CLICKHOUSE_URL',
        message: 'ClickHouse URL',
        default: `http://analytics:${chPassword}@localhost:8123/analytics`,
      }),
    );
  }

  set('ADMIN_USER_EMAIL', await wizard.ask({ flag: 'admin-email', variable: 'ADMIN_USER_EMAIL', message: 'Admin email (empty: add one later with db init-admin)' }));
  if (values.ADMIN_USER_EMAIL) {
    set('ADMIN_USER_NAME', await wizard.ask({ flag: 'admin-name', variable: 'ADMIN_USER_NAME', message: 'Admin name', default: 'Admin' }));
    set(
      'ADMIN_USER_PWD',
      await wizard.ask({
        flag: 'admin-password',
        variable: 'ADMIN_USER_PWD',
        message: 'Admin password (empty: db init-admin generates one)',
        secret: true,
      }),
    );
  }

  const mailer = await wizard.ask({
    flag: 'mailer',
    variable: 'MAILER_ADAPTER',
    message: 'Outgoing mail',
    default: 'none',
    choices: [
      { value: 'none', name: 'none (no password-reset or report mails)' },
      { value: 'smtp', name: 'smtp' },
    ],
  });
  set('MAILER_ADAPTER', mailer);
  if (mailer === 'smtp') {
    const host = new URL(values.BASE_URL ?? 'http://localhost').hostname;
    set('SMTP_HOST_ADDR', await wizard.ask({ flag: 'smtp-host', variable: 'SMTP_HOST_ADDR', message: 'SMTP host', required: true }));
    set('SMTP_HOST_PORT', await wizard.ask({ flag: 'smtp-port', variable: 'SMTP_HOST_PORT', message: 'SMTP port', default: '587' }));
    set('SMTP_HOST_SSL_ENABLED', await wizard.ask({ flag: 'smtp-ssl', variable: 'SMTP_HOST_SSL_ENABLED', message: 'Implicit TLS (true for port 465)', default: values.SMTP_HOST_PORT === '465' ? 'true' : 'false' }));
    set('SMTP_USER_NAME', await wizard.ask({ flag: 'smtp-user', variable: 'SMTP_USER_NAME', message: 'SMTP user (empty: no authentication)' }));
    if (values.SMTP_USER_NAME) {
      set('SMTP_USER_PWD', await wizard.ask({ flag: 'smtp-password', variable: 'SMTP_USER_PWD', message: 'SMTP password', secret: true, required: true }));
    }
    set('MAILER_EMAIL', await wizard.ask({ flag: 'mailer-email', variable: 'MAILER_EMAIL', message: 'From address', default: `analytics@${host}` }));
    set('MAILER_NAME', await wizard.ask({ flag: 'mailer-name', variable: 'MAILER_NAME', message: 'From name', default: 'Analytics' }));
    set('SMTP_RETRIES', await wizard.ask({ flag: 'smtp-retries', variable: 'SMTP_RETRIES', message: 'Retries for a failed send', default: '2' }));
  }

  set('IP_GEOLOCATION_DB', await wizard.ask({ flag: 'geoip-db', variable: 'IP_GEOLOCATION_DB', message: 'MaxMind .mmdb path (empty: bundled country database)' }));
  set('TRUSTED_PROXIES', await wizard.ask({ flag: 'trusted-proxies', variable: 'TRUSTED_PROXIES', message: 'Trusted proxies (CIDRs whose X-Forwarded-For is believed)', default: '127.0.0.1/32,::1/128' }));
  set('BACKUP_DIR', await wizard.ask({ flag: 'backup-dir', variable: 'BACKUP_DIR', message: 'Backup directory', default: './backups' }));
  set('BACKUP_ENCRYPTION_RECIPIENT', await wizard.ask({ flag: 'backup-recipient', variable: 'BACKUP_ENCRYPTION_RECIPIENT', message: 'age public key to encrypt backups to (empty: not encrypted)' }));

  // Keep settings the wizard does not ask about (hand-edited tuning), but not those the answers turned off.
  for (const [name, value] of Object.entries(existing)) {
    if (name in values || wizard.asked.has(name)) continue;
    if (storage === 'embedded' && /^(DATABASE_URL|POSTGRES_PASSWORD|CLICKHOUSE_(URL|PASSWORD|DATABASE_))/.test(name)) continue;
    if (mailer === 'none' && /^(SMTP_|MAILER_EMAIL|MAILER_NAME)/.test(name)) continue;
    values[name] = value;
  }

  const content = serializeEnv(values, `analytics configuration, written by \`analytics env generate\` on ${new Date().toISOString()}`);
  writeFileAtomic0600(file, content);
  const verified = loadConfig({ envFile: file, env: {}, cwd: path.dirname(file) });
  if (verified.problems.length > 0) {
    // Cannot happen when every answer was validated; say so loudly rather than leave a bad file unnoticed.
    throw new UserError(`The written file does not validate: ${verified.problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
  }

  return {
    path: file,
    action: exists ? 'overwritten' : 'created',
    mode: '0600',
    storage,
    variables: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, redactValue(k, v)])),
    generatedSecrets,
    keptSecrets,
  };
}
