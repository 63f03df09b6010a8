import { createTransport } from 'nodemailer';
import type { SmtpSettings } from './settings.js';

export interface OutgoingMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
}

export interface DeliveredMessage {
  messageId: string;
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4F1x`. */
  response: string;
  accepted: string[];
  rejected: string[];
  attempts: number;
}

/** A nodemailer error as it comes out of the SMTP transport. */
export interface SmtpError extends Error {
  code?: string;
  /** The server's reply that caused the error, e.g. `535 5.7.8 Authentication failed`. */
  response?: string;
  responseCode?: number;
  command?: string;
}

/** Failures that can succeed on a later attempt: the network, timeouts, and 4xx ("try again later") replies. */
export function isTransientSmtpError(error: unknown): boolean {
  const e = error as SmtpError;
  if (typeof e?.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS'].includes(e?.code ?? '');
}

export function smtpTransportOptions(settings: SmtpSettings) {
  const timeout = settings.timeoutMs ?? 10_000;
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.implicitTls,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    ...(settings.tls ? { tls: settings.tls } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: Math.max(timeout, 30_000),
    dnsTimeout: timeout,
  };
}

export function createSmtpTransport(settings: SmtpSettings) {
  return createTransport(smtpTransportOptions(settings));
}

export interface SendOptions {
  /** First wait between attempts; doubles each time (default 1 s). */
  backoffMs?: number;
  onRetry?: (error: SmtpError, attempt: number, waitMs: number) => void;
}

/**
 * Sends one message, retrying transient failures up to SMTP_RETRIES times with exponential backoff.
 * A permanent refusal (5xx, bad credentials) is thrown at once: retrying would only repeat it.
 */
export async function sendMail(settings: SmtpSettings, message: OutgoingMessage, options: SendOptions = {}): Promise<DeliveredMessage> {
  const transport = createSmtpTransport(settings);
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const info = await transport.sendMail({ from: settings.from, ...message });
        const accepted = info.accepted.map(String);
        const rejected = info.rejected.map(String);
        return { messageId: info.messageId, response: info.response, accepted, rejected, attempts: attempt };
      } catch (error) {
        if (attempt > settings.retries || !isTransientSmtpError(error)) throw error;
        const waitMs = (options.backoffMs ?? 1_000) * 2 ** (attempt - 1);
        options.onRetry?.(error as SmtpError, attempt, waitMs);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  } finally {
    transport.close();
  }
}
