import type { ConnectionOptions } from 'node:tls';
import type { AppConfig } from '../config/schema.js';
import { UserError } from '../cli/errors.js';

/** What it takes to send a message over SMTP, from MAILER_* and SMTP_* (DESIGN §4). */
export interface SmtpSettings {
  host: string;
  port: number;
  /** SMTP_HOST_SSL_ENABLED: TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  implicitTls: boolean;
  user?: string;
  password?: string;
  from: { name: string; address: string };
  /** Extra attempts after a failed send that may succeed later (connection lost, 4xx answer). */
  retries: number;
  /**
   * Extra TLS options, e.g. `ca` for a private certificate authority. The CLI leaves this out and
   * relies on the system store plus NODE_EXTRA_CA_CERTS, as every Node program does.
   */
  tls?: ConnectionOptions;
  /** Milliseconds to wait for the connection, the greeting, and each reply (default 10 s each). */
  timeoutMs?: number;
}

export function mailEnabled(config: Pick<AppConfig, 'mailer'>): boolean {
  return config.mailer.adapter === 'smtp';
}

/** The SMTP settings, or a user error that says how to turn mail on. */
export function smtpSettings(config: Pick<AppConfig, 'mailer'>): SmtpSettings {
  const { mailer } = config;
  if (mailer.adapter !== 'smtp' || !mailer.smtp.host || !mailer.email) {
    throw new UserError('Mail is off: MAILER_ADAPTER is not smtp', {
      code: 'MAIL_DISABLED',
      actions: [
        'analytics env generate --force --mailer smtp --smtp-host HOST --smtp-port 587 --smtp-user USER --smtp-password PASSWORD --mailer-email FROM',
        'or set MAILER_ADAPTER=smtp, SMTP_HOST_ADDR and MAILER_EMAIL in the env file, then: analytics env check',
      ],
    });
  }
  return {
    host: mailer.smtp.host,
    port: mailer.smtp.port,
    implicitTls: mailer.smtp.ssl,
    ...(mailer.smtp.user ? { user: mailer.smtp.user } : {}),
    ...(mailer.smtp.password ? { password: mailer.smtp.password } : {}),
    from: { name: mailer.name, address: mailer.email },
    retries: mailer.smtp.retries,
  };
}
