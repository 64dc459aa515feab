import winston from 'winston';
import { redactValue } from './redact.js';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  format: 'json' | 'text';
  /** "primary" or "worker"; workers also carry their stable index. */
  role: string;
  worker?: number;
}

/**
 * One pass over the line's fields, the message included (one format, not one walk per job):
 * - every field goes through the one signature redaction, so no call site that logs a
 *   locator, a list entry or a peer's error message can leak one;
 * - winston nests an Error in metadata as `{}`: an Error value at the top level becomes
 *   `{name, message, code}` (describeError), so failures are readable in the JSON lines.
 */
const prepareLine = winston.format((info) => {
  for (const key in info) {
    const value: unknown = info[key];
    info[key] = value instanceof Error ? redactValue(describeError(value)) : redactValue(value);
  }
  return info;
});

export function describeError(err: unknown): { name: string; message: string; code?: string } {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** One logger per process: JSON lines (or text for humans) on stderr, tagged with the role. */
export function createLogger(opts: LoggerOptions): Logger {
  const base = [winston.format.timestamp(), prepareLine()];
  const format =
    opts.format === 'json'
      ? winston.format.combine(...base, winston.format.json())
      : winston.format.combine(
          ...base,
          winston.format.printf(({ timestamp, level, message, role, worker, ...rest }) => {
            const who = worker === undefined ? String(role) : `${String(role)} ${String(worker)}`;
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} [${who}] ${String(message)}${extra}`;
          }),
        );
  return winston.createLogger({
    level: opts.level,
    format,
    defaultMeta: opts.worker === undefined ? { role: opts.role } : { role: opts.role, worker: opts.worker },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
