import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/**
 * The validated configuration. Every field comes from one variable of `variables.ts`; the schema
 * is written over the raw variable names so that each zod issue names the variable at fault.
 */
export interface AppConfig {
  baseUrl: string;
  port: number;
  listenIp: string;
  secretKeyBase?: string;
  dataDir: string;
  databaseUrl?: string;
  databasePoolSize: number;
  databaseTlsEnabled: boolean;
  /** Normalised from CLICKHOUSE_URL, CLICKHOUSE_DATABASE_URL or the older CLICKHOUSE_DATABASE_* form. */
  clickhouseUrl?: string;
  clickhouseFlushIntervalMs: number;
  clickhouseMaxBufferSize: number;
  trustedProxies: string[];
  disableRegistration: 'true' | 'false' | 'invite_only';
  admin: { name?: string; email?: string; password?: string };
  mailer: {
    adapter: 'smtp' | 'none';
    email?: string;
    name: string;
    smtp: { host?: string; port: number; user?: string; password?: string; ssl: boolean; retries: number };
  };
  ipGeolocationDb?: string;
  backup: { dir: string; encryptionRecipient?: string; keepDaily: number; keepWeekly: number; keepMonthly: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  storageMode: 'embedded' | 'servers' | 'mixed';
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      message: `must be a whole number from ${min} to ${max}`,
    })
    .transform(Number);

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes'].includes(v));

function urlWithProtocols(protocols: string[], example: string) {
  return optional.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}, e.g. ${example}` },
  );
}

function isCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export const rawConfigSchema = z
  .object({
    BASE_URL: urlWithProtocols(['http:', 'https:'], 'https://stats.example.com'),
    PORT: integer(0, 65535),
    LISTEN_IP: z
      .string()
      .trim()
      .refine((v) => isIP(v) !== 0, { message: 'must be an IPv4 or IPv6 address, e.g. 0.0.0.0 or ::' }),
    SECRET_KEY_BASE: optional.refine((v) => v === undefined || Buffer.byteLength(v) >= 64, {
      message: 'must be at least 64 bytes long',
    }),
    DATA_DIR: z.string().trim().min(1, 'must not be empty'),
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:'], 'postgres://user:password@localhost:5432/analytics'),
    POSTGRES_PASSWORD: optional,
    DATABASE_POOL_SIZE: integer(1, 1000),
    DATABASE_TLS_ENABLED: boolean,
    CLICKHOUSE_URL: urlWithProtocols(['http:', 'https:'], 'http://default:password@localhost:8123/analytics'),
    CLICKHOUSE_PASSWORD: optional,
    CLICKHOUSE_DATABASE_HOST: optional,
    CLICKHOUSE_DATABASE_NAME: optional,
    CLICKHOUSE_DATABASE_USER: optional,
    CLICKHOUSE_DATABASE_PASSWORD: optional,
    CLICKHOUSE_FLUSH_INTERVAL_MS: integer(10, 3_600_000),
    CLICKHOUSE_MAX_BUFFER_SIZE: integer(1, 10_000_000),
    TRUSTED_PROXIES: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .refine((list) => list.every(isCidr), {
        message: 'must be a comma-separated list of IP addresses or CIDRs, e.g. 127.0.0.1/32,10.0.0.0/8',
      }),
    DISABLE_REGISTRATION: z.enum(['true', 'false', 'invite_only'], { message: 'must be true, false or invite_only' }),
    ADMIN_USER_NAME: optional,
    ADMIN_USER_EMAIL: optional.refine((v) => v === undefined || /^[^\s@]+@[^\s@]+$/.test(v), {
      message: 'must be an email address',
    }),
    ADMIN_USER_PWD: optional.refine((v) => v === undefined || v.length >= 8, {
      message: 'must be at least 8 characters',
    }),
    MAILER_ADAPTER: z.enum(['smtp', 'none'], { message: 'must be smtp or none' }),
    MAILER_EMAIL: optional.refine((v) => v === undefined || /^[^\s@]+@[^\s@]+$/.test(v), {
      message: 'must be an email address',
    }),
    MAILER_NAME: z.string(),
    SMTP_HOST_ADDR: optional,
    SMTP_HOST_PORT: integer(1, 65535),
    SMTP_USER_NAME: optional,
    SMTP_USER_PWD: optional,
    SMTP_HOST_SSL_ENABLED: boolean,
    SMTP_RETRIES: integer(0, 100),
    IP_GEOLOCATION_DB: optional.refine((v) => v === undefined || existsSync(v), {
      message: 'points to a file that does not exist',
    }),
    BACKUP_DIR: z.string().trim().min(1, 'must not be empty'),
    BACKUP_ENCRYPTION_RECIPIENT: optional.refine((v) => v === undefined || /^age1[0-9a-z]{58}$/.test(v), {
      message: 'must be an age public key (age1 followed by 58 characters)',
    }),
    BACKUP_KEEP_DAILY: integer(0, 10_000),
    BACKUP_KEEP_WEEKLY: integer(0, 10_000),
    BACKUP_KEEP_MONTHLY: integer(0, 10_000),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { message: 'must be debug, info, warn or error' }),
  })
  .superRefine((raw, ctx) => {
    if (raw.MAILER_ADAPTER === 'smtp') {
      if (!raw.SMTP_HOST_ADDR)
        ctx.addIssue({ code: 'custom', path: ['SMTP_HOST_ADDR'], message: 'is required when MAILER_ADAPTER=smtp' });
      if (!raw.MAILER_EMAIL)
        ctx.addIssue({ code: 'custom', path: ['MAILER_EMAIL'], message: 'is required when MAILER_ADAPTER=smtp' });
      // Half a credential is always a mistake: the server would refuse AUTH or never be asked.
      if (raw.SMTP_USER_NAME && !raw.SMTP_USER_PWD)
        ctx.addIssue({ code: 'custom', path: ['SMTP_USER_PWD'], message: 'is required when SMTP_USER_NAME is set' });
      if (raw.SMTP_USER_PWD && !raw.SMTP_USER_NAME)
        ctx.addIssue({ code: 'custom', path: ['SMTP_USER_NAME'], message: 'is required when SMTP_USER_PWD is set' });
    }
    if (raw.CLICKHOUSE_URL && raw.CLICKHOUSE_DATABASE_HOST) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICKHOUSE_DATABASE_HOST'],
        message: 'conflicts with CLICKHOUSE_URL; keep only CLICKHOUSE_URL',
      });
    }
  });

export type RawConfig = z.output<typeof rawConfigSchema>;

/**
 * Valid but almost certainly wrong: port 465 speaks TLS from the first byte, 587 and 25 start in plain
 * text and upgrade with STARTTLS. The mismatch shows up as a hang or a TLS error at the first send.
 */
export function mailerWarnings(raw: Record<string, string | undefined>): string[] {
  if (raw.MAILER_ADAPTER?.trim() !== 'smtp') return [];
  const port = raw.SMTP_HOST_PORT?.trim();
  const ssl = ['true', '1', 'yes'].includes(raw.SMTP_HOST_SSL_ENABLED?.trim().toLowerCase() ?? '');
  if (port === '465' && !ssl) {
    return ['SMTP_HOST_PORT is 465 (implicit TLS) but SMTP_HOST_SSL_ENABLED is false; set SMTP_HOST_SSL_ENABLED=true'];
  }
  if ((port === '587' || port === '25') && ssl) {
    return [`SMTP_HOST_PORT is ${port} (STARTTLS) but SMTP_HOST_SSL_ENABLED is true; set SMTP_HOST_SSL_ENABLED=false`];
  }
  return [];
}

/** The older Plausible form CLICKHOUSE_DATABASE_HOST/NAME/USER/PASSWORD, turned into one URL. */
function legacyClickHouseUrl(raw: RawConfig): string | undefined {
  if (!raw.CLICKHOUSE_DATABASE_HOST) return undefined;
  const host = raw.CLICKHOUSE_DATABASE_HOST;
  const url = new URL(/^https?:\/\//.test(host) ? host : `http://${host}`);
  if (!url.port && url.protocol === 'http:') url.port = '8123';
  url.pathname = `/${raw.CLICKHOUSE_DATABASE_NAME ?? 'analytics'}`;
  if (raw.CLICKHOUSE_DATABASE_USER) url.username = raw.CLICKHOUSE_DATABASE_USER;
  if (raw.CLICKHOUSE_DATABASE_PASSWORD) url.password = raw.CLICKHOUSE_DATABASE_PASSWORD;
  return url.toString();
}

export function toAppConfig(raw: RawConfig, cwd: string): AppConfig {
  const clickhouseUrl = raw.CLICKHOUSE_URL ?? legacyClickHouseUrl(raw);
  const embeddedCount = Number(!raw.DATABASE_URL) + Number(!clickhouseUrl);
  return {
    baseUrl: raw.BASE_URL ?? `http://localhost:${raw.PORT}`,
    port: raw.PORT,
    listenIp: raw.LISTEN_IP,
    secretKeyBase: raw.SECRET_KEY_BASE,
    dataDir: path.resolve(cwd, raw.DATA_DIR),
    databaseUrl: raw.DATABASE_URL,
    databasePoolSize: raw.DATABASE_POOL_SIZE,
    databaseTlsEnabled: raw.DATABASE_TLS_ENABLED,
    clickhouseUrl,
    clickhouseFlushIntervalMs: raw.CLICKHOUSE_FLUSH_INTERVAL_MS,
    clickhouseMaxBufferSize: raw.CLICKHOUSE_MAX_BUFFER_SIZE,
    trustedProxies: raw.TRUSTED_PROXIES,
    disableRegistration: raw.DISABLE_REGISTRATION,
    admin: { name: raw.ADMIN_USER_NAME, email: raw.ADMIN_USER_EMAIL, password: raw.ADMIN_USER_PWD },
    mailer: {
      adapter: raw.MAILER_ADAPTER,
      email: raw.MAILER_EMAIL,
      name: raw.MAILER_NAME,
      smtp: {
        host: raw.SMTP_HOST_ADDR,
        port: raw.SMTP_HOST_PORT,
        user: raw.SMTP_USER_NAME,
        password: raw.SMTP_USER_PWD,
        ssl: raw.SMTP_HOST_SSL_ENABLED,
        retries: raw.SMTP_RETRIES,
      },
    },
    ipGeolocationDb: raw.IP_GEOLOCATION_DB,
    backup: {
      dir: path.resolve(cwd, raw.BACKUP_DIR),
      encryptionRecipient: raw.BACKUP_ENCRYPTION_RECIPIENT,
      keepDaily: raw.BACKUP_KEEP_DAILY,
      keepWeekly: raw.BACKUP_KEEP_WEEKLY,
      keepMonthly: raw.BACKUP_KEEP_MONTHLY,
    },
    logLevel: raw.LOG_LEVEL,
    storageMode: embeddedCount === 2 ? 'embedded' : embeddedCount === 0 ? 'servers' : 'mixed',
  };
}
