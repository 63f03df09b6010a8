import type { AppConfig } from '../config/schema.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Structured lines on stderr: JSON when not on a terminal (journald, docker logs, log shippers),
 * `time level message key=value` for a person. Never pass secrets or IP addresses as fields.
 */
export function createLogger(level: AppConfig['logLevel'], options: { json?: boolean; write?: (line: string) => void } = {}): Logger {
  const json = options.json ?? !process.stderr.isTTY;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = LEVELS[level];
  const emit = (lvl: Level, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[lvl] < threshold) return;
    const time = new Date().toISOString();
    if (json) {
      write(JSON.stringify({ time, level: lvl, msg: message, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    } else {
      const rest = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`)
        .join(' ');
      write(`${time} ${lvl.toUpperCase().padEnd(5)} ${message}${rest ? ` ${rest}` : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
