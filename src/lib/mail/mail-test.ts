/**
 * `analytics mail test`: one real message, with each layer checked on its own — DNS, TCP, TLS, AUTH,
 * accepted — so a failure names the step, quotes the server's own reply and says which setting to fix.
 */
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { hostname } from 'node:os';
import { ExitCode } from '../cli/errors.js';
import { APP_VERSION } from '../version.js';
import { command, connectTcp, quit, readReply, startTls, type SmtpReply } from './smtp-dialog.js';
import type { SmtpSettings } from './settings.js';
import { createSmtpTransport, type SmtpError } from './transport.js';

export type MailTestStepName = 'dns' | 'tcp' | 'tls' | 'auth' | 'accepted';
export type MailTestStepStatus = 'ok' | 'failed' | 'warning' | 'skipped';

export interface MailTestStep {
  step: MailTestStepName;
  status: MailTestStepStatus;
  detail: string;
  /** What the server said when it refused, verbatim. */
  serverReply?: string;
  /** The setting to change (or what to do) when the step failed. */
  fix?: string;
  durationMs: number;
}

export interface MailTestResult {
  ok: boolean;
  server: { host: string; port: number; implicitTls: boolean; user: string | null };
  from: string;
  to: string;
  steps: MailTestStep[];
  failedStep: MailTestStepName | null;
  messageId: string | null;
  /** 0 sent; 3 the server could not be reached (DNS, TCP); 1 any other failure. */
  exitCode: number;
}

const ALL_STEPS: MailTestStepName[] = ['dns', 'tcp', 'tls', 'auth', 'accepted'];

const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

class StepFailed extends Error {
  constructor(readonly step: Omit<MailTestStep, 'status' | 'durationMs'>) {
    super(step.detail);
  }
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code && !String(e.message).includes(e.code) ? `${e.message} (${e.code})` : String(e?.message ?? error);
}

function certificateFix(host: string): string {
  return `the certificate of ${host} is not trusted: set SMTP_HOST_ADDR to the name on the certificate, or trust its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
}

export interface MailTestOptions {
  to: string;
  /** Shown in the subject, so the message can be found in a busy inbox. */
  now?: Date;
  /** How long a plain connection waits for the greeting before suspecting implicit TLS (default: the settings' timeout). */
  greetingTimeoutMs?: number;
  onStep?: (step: MailTestStep) => void;
}

export async function runMailTest(settings: SmtpSettings, options: MailTestOptions): Promise<MailTestResult> {
  const timeoutMs = settings.timeoutMs ?? 10_000;
  const greetingTimeoutMs = options.greetingTimeoutMs ?? timeoutMs;
  const steps: MailTestStep[] = [];
  let messageId: string | null = null;

  const record = (step: MailTestStep) => {
    steps.push(step);
    options.onStep?.(step);
  };
  const timed = async <T>(name: MailTestStepName, fn: () => Promise<{ value: T; detail: string; status?: MailTestStepStatus; fix?: string }>) => {
    const started = performance.now();
    try {
      const { value, detail, status, fix } = await fn();
      record({ step: name, status: status ?? 'ok', detail, ...(fix ? { fix } : {}), durationMs: Math.round(performance.now() - started) });
      return value;
    } catch (error) {
      const failure = error instanceof StepFailed ? error.step : { step: name, detail: describeError(error) };
      record({ ...failure, status: 'failed', durationMs: Math.round(performance.now() - started) });
      throw new StepFailed(failure);
    }
  };

  try {
    const addresses = await timed('dns', async () => {
      try {
        const found = await lookup(settings.host, { all: true });
        return { value: found.map((a) => a.address), detail: `${settings.host} → ${found.map((a) => a.address).join(', ')}` };
      } catch (error) {
        throw new StepFailed({
          step: 'dns',
          detail: `${settings.host} does not resolve: ${describeError(error)}`,
          fix: 'correct SMTP_HOST_ADDR (the SMTP server\'s host name), or check this machine\'s DNS (/etc/resolv.conf)',
        });
      }
    });

    const { socket, address } = await timed('tcp', async () => {
      const errors: string[] = [];
      for (const candidate of addresses) {
        try {
          const connected = await connectTcp(candidate, settings.port, timeoutMs);
          return { value: { socket: connected, address: candidate }, detail: `connected to ${candidate} port ${settings.port}` };
        } catch (error) {
          errors.push(`${candidate}: ${describeError(error)}`);
        }
      }
      const refused = errors.some((e) => e.includes('ECONNREFUSED'));
      throw new StepFailed({
        step: 'tcp',
        detail: `cannot connect to ${settings.host} port ${settings.port} — ${errors.join('; ')}`,
        fix: refused
          ? `nothing listens on port ${settings.port}: check SMTP_HOST_PORT (587 for STARTTLS, 465 for implicit TLS) and SMTP_HOST_ADDR`
          : `port ${settings.port} does not answer: a firewall (many hosting providers block outgoing 25, 465 and 587) or a wrong SMTP_HOST_PORT`,
      });
    });

    await timed('tls', () => checkTls(settings, socket, address, { timeoutMs, greetingTimeoutMs }));

    const transport = createSmtpTransport(settings);
    try {
      await timed('auth', async () => {
        try {
          await transport.verify();
        } catch (error) {
          throw smtpStepFailure(error as SmtpError, settings);
        }
        return settings.user
          ? { value: undefined, detail: `logged in as ${settings.user}` }
          : { value: undefined, detail: 'no SMTP_USER_NAME: sending without authentication', status: 'skipped' as const };
      });

      await timed('accepted', async () => {
        const when = (options.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
        try {
          const info = await transport.sendMail({
            from: settings.from,
            to: options.to,
            subject: `analytics mail test ${when}`,
            text:
              `This is a test message from the analytics server on ${hostname()} (version ${APP_VERSION}), sent by ` +
              `\`analytics mail test\` at ${when} through ${settings.host}:${settings.port}.\n\nIf you can read this, ` +
              'password-reset and report emails will arrive too.\n',
          });
          messageId = info.messageId;
          if (!info.accepted.map(String).includes(options.to)) {
            throw new StepFailed({
              step: 'accepted',
              detail: `the server did not accept ${options.to}`,
              serverReply: info.response,
              fix: 'check the --to address',
            });
          }
          return { value: undefined, detail: `accepted for ${options.to}: ${info.response}` };
        } catch (error) {
          if (error instanceof StepFailed) throw error;
          throw smtpStepFailure(error as SmtpError, settings, options.to);
        }
      });
    } finally {
      transport.close();
    }
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  }

  const failed = steps.find((s) => s.status === 'failed');
  const ran = new Set(steps.map((s) => s.step));
  for (const name of ALL_STEPS) {
    if (!ran.has(name)) steps.push({ step: name, status: 'skipped', detail: `not tried: ${failed?.step} failed`, durationMs: 0 });
  }
  return {
    ok: !failed,
    server: { host: settings.host, port: settings.port, implicitTls: settings.implicitTls, user: settings.user ?? null },
    from: settings.from.address,
    to: options.to,
    steps,
    failedStep: failed?.step ?? null,
    messageId,
    exitCode: !failed ? ExitCode.ok : failed.step === 'dns' || failed.step === 'tcp' ? ExitCode.unreachable : ExitCode.failure,
  };
}

/** Greeting, EHLO and TLS (implicit, or STARTTLS when offered) on the socket the TCP step opened. */
async function checkTls(
  settings: SmtpSettings,
  socket: Socket,
  address: string,
  timeouts: { timeoutMs: number; greetingTimeoutMs: number },
): Promise<{ value: undefined; detail: string; status?: MailTestStepStatus; fix?: string }> {
  const tlsOptions = settings.tls ?? {};
  try {
    if (settings.implicitTls) {
      let secure;
      try {
        secure = await startTls({ socket }, settings.host, tlsOptions, timeouts.timeoutMs);
      } catch (error) {
        const reason = describeError(error);
        if (CERTIFICATE_ERRORS.test(reason)) {
          throw new StepFailed({ step: 'tls', detail: `TLS handshake failed: ${reason}`, fix: certificateFix(settings.host) });
        }
        // The usual cause: a plain SMTP port. Ask it, so the answer can be quoted.
        const greeting = await plainGreeting(address, settings.port, Math.min(timeouts.timeoutMs, 3_000));
        throw new StepFailed({
          step: 'tls',
          detail: greeting
            ? `TLS handshake failed (${reason}): port ${settings.port} speaks plain SMTP, it greets without TLS`
            : `TLS handshake failed: ${reason}`,
          ...(greeting ? { serverReply: greeting.text } : {}),
          fix: greeting
            ? `set SMTP_HOST_SSL_ENABLED=false (plain connection upgraded with STARTTLS, usually port 587), or use the server's implicit-TLS port (usually 465)`
            : `check SMTP_HOST_SSL_ENABLED and SMTP_HOST_PORT`,
        });
      }
      try {
        const greeting = await readReply(secure, timeouts.greetingTimeoutMs);
        if (greeting.code !== 220) throw refusedGreeting(greeting);
        const detail = `implicit TLS: ${describeTls(secure)}, certificate valid for ${settings.host}`;
        await quit(secure);
        return { value: undefined, detail };
      } finally {
        secure.destroy();
      }
    }

    let greeting: SmtpReply;
    try {
      greeting = await readReply(socket, timeouts.greetingTimeoutMs);
    } catch (error) {
      const speaksTls = await probeImplicitTls(address, settings.port, timeouts.timeoutMs);
      throw new StepFailed({
        step: 'tls',
        detail: speaksTls
          ? `no SMTP greeting in plain text (${describeError(error)}): port ${settings.port} expects TLS from the first byte (implicit TLS)`
          : `no SMTP greeting: ${describeError(error)}`,
        fix: speaksTls
          ? 'set SMTP_HOST_SSL_ENABLED=true (implicit TLS), or use the server\'s STARTTLS port (usually 587)'
          : 'check SMTP_HOST_PORT: the service on that port is not an SMTP server',
      });
    }
    if (greeting.code !== 220) throw refusedGreeting(greeting);
    const ehlo = await command(socket, `EHLO ${hostname()}`, timeouts.timeoutMs);
    if (ehlo.code !== 250) {
      throw new StepFailed({ step: 'tls', detail: 'the server refused EHLO', serverReply: ehlo.text, fix: 'check SMTP_HOST_ADDR and SMTP_HOST_PORT' });
    }
    if (!/^250[ -]STARTTLS\b/im.test(ehlo.text)) {
      await quit(socket);
      return {
        value: undefined,
        status: 'warning',
        detail: 'the server offers no STARTTLS: the password and the mail travel in plain text',
        fix: 'use a port with TLS if the server has one (SMTP_HOST_PORT=465 with SMTP_HOST_SSL_ENABLED=true, or 587)',
      };
    }
    const ready = await command(socket, 'STARTTLS', timeouts.timeoutMs);
    if (ready.code !== 220) {
      throw new StepFailed({ step: 'tls', detail: 'the server refused STARTTLS', serverReply: ready.text, fix: 'check SMTP_HOST_PORT and SMTP_HOST_SSL_ENABLED' });
    }
    let secure;
    try {
      secure = await startTls({ socket }, settings.host, tlsOptions, timeouts.timeoutMs);
    } catch (error) {
      const reason = describeError(error);
      throw new StepFailed({
        step: 'tls',
        detail: `STARTTLS handshake failed: ${reason}`,
        fix: CERTIFICATE_ERRORS.test(reason) ? certificateFix(settings.host) : 'check SMTP_HOST_SSL_ENABLED and SMTP_HOST_PORT',
      });
    }
    const detail = `STARTTLS: ${describeTls(secure)}, certificate valid for ${settings.host}`;
    await quit(secure);
    return { value: undefined, detail };
  } finally {
    socket.destroy();
  }
}

function describeTls(socket: TLSSocket): string {
  return `${socket.getProtocol() ?? 'TLS'}, ${socket.getCipher()?.name ?? 'unknown cipher'}`;
}

function refusedGreeting(greeting: SmtpReply): StepFailed {
  return new StepFailed({
    step: 'tls',
    detail: 'the server answered the connection with a refusal',
    serverReply: greeting.text,
    fix: 'the server does not take mail from this machine: check its access rules, or SMTP_HOST_ADDR / SMTP_HOST_PORT',
  });
}

async function plainGreeting(address: string, port: number, timeoutMs: number): Promise<SmtpReply | undefined> {
  let socket: Socket | undefined;
  try {
    socket = await connectTcp(address, port, timeoutMs);
    const reply = await readReply(socket, timeoutMs);
    return /^\d{3}/.test(reply.text) ? reply : undefined;
  } catch {
    return undefined;
  } finally {
    socket?.destroy();
  }
}

/** Does the port finish a TLS handshake? Certificates are not judged here: this only tells the protocol. */
async function probeImplicitTls(address: string, port: number, timeoutMs: number): Promise<boolean> {
  try {
    const socket = await startTls({ host: address, port }, address, { rejectUnauthorized: false }, Math.min(timeoutMs, 5_000));
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

/** A nodemailer error → the step it belongs to, the server's reply and the setting to fix. */
function smtpStepFailure(error: SmtpError, settings: SmtpSettings, to?: string): StepFailed {
  const serverReply = error.response ? { serverReply: error.response } : {};
  const detail = error.message;
  switch (error.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new StepFailed({
        step: 'auth',
        detail: `authentication as ${settings.user ?? '(no user)'} failed: ${detail}`,
        ...serverReply,
        fix: 'correct SMTP_USER_NAME and SMTP_USER_PWD (analytics env generate --force --smtp-user USER --smtp-password PASSWORD)',
      });
    case 'ETLS':
      return new StepFailed({ step: 'tls', detail, ...serverReply, fix: 'check SMTP_HOST_SSL_ENABLED and SMTP_HOST_PORT' });
    case 'EDNS':
      return new StepFailed({ step: 'dns', detail, fix: 'correct SMTP_HOST_ADDR' });
    case 'ECONNECTION':
    case 'ETIMEDOUT':
    case 'ESOCKET':
      return new StepFailed({
        step: CERTIFICATE_ERRORS.test(detail) ? 'tls' : 'tcp',
        detail,
        ...serverReply,
        fix: CERTIFICATE_ERRORS.test(detail) ? certificateFix(settings.host) : 'check SMTP_HOST_ADDR, SMTP_HOST_PORT and SMTP_HOST_SSL_ENABLED',
      });
    case 'EENVELOPE': {
      const sender = error.command?.toUpperCase().startsWith('MAIL FROM');
      return new StepFailed({
        step: 'accepted',
        detail: sender ? `the server refused the sender ${settings.from.address}` : `the server refused the recipient ${to ?? ''}`.trim(),
        ...serverReply,
        fix: sender
          ? 'set MAILER_EMAIL to an address this SMTP account may send as'
          : 'check the --to address (some servers only relay for their own domains or for authenticated users: set SMTP_USER_NAME)',
      });
    }
    default:
      return new StepFailed({
        step: error.code === 'EMESSAGE' || error.responseCode ? 'accepted' : 'auth',
        detail,
        ...serverReply,
        fix: 'read the server\'s reply above; check MAILER_EMAIL and the SMTP account\'s sending limits',
      });
  }
}
