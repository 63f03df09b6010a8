/**
 * A real SMTP server in the test process (`smtp-server`), with a self-signed certificate made by
 * openssl for `localhost`, AUTH (PLAIN/LOGIN) against a fixed account, and every accepted message
 * parsed with `mailparser`. Tests point the CLI at it with NODE_EXTRA_CA_CERTS=<certPath>.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestCertificate {
  key: Buffer;
  cert: Buffer;
  /** PEM file of the certificate, for NODE_EXTRA_CA_CERTS. */
  certPath: string;
  remove(): void;
}

/** A self-signed certificate for localhost / 127.0.0.1, valid for a day. Fails loudly without openssl. */
export function makeTestCertificate(): TestCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'analytics-cert-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', keyPath, '-out', certPath,
    ], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`openssl could not make a test certificate (apt-get install -y openssl; .ci/run does): ${String(error)}`);
  }
  return {
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    certPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  received: ReceivedMail[];
  /** Resolves once `count` messages have arrived (or rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export interface TestSmtpServerOptions {
  /** 'implicit': TLS from the first byte (465); 'starttls': plain, upgraded; 'plain': no TLS at all. */
  tls: 'implicit' | 'starttls' | 'plain';
  certificate?: TestCertificate;
  user?: string;
  password?: string;
}

export const SMTP_USER = 'mailer@example.com';
export const SMTP_PASSWORD = 'correct horse battery staple';

export async function startTestSmtpServer(options: TestSmtpServerOptions): Promise<TestSmtpServer> {
  const user = options.user ?? SMTP_USER;
  const password = options.password ?? SMTP_PASSWORD;
  const received: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    secure: options.tls === 'implicit',
    ...(options.tls !== 'plain' && options.certificate ? { key: options.certificate.key, cert: options.certificate.cert } : {}),
    ...(options.tls === 'plain' ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    banner: 'analytics test SMTP',
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
            });
            for (const wake of waiters.splice(0)) wake();
            callback(null, 'Message queued as test');
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: 'localhost',
    port,
    received,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), received ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
