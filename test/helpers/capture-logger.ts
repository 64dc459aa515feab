/**
 * A real winston logger (the server's Logger type) whose JSON lines land in an array, for
 * tests that run server modules in-process and check what they log (and how often).
 */
import { Writable } from 'node:stream';
import winston from 'winston';

export interface CapturedLog {
  level: string;
  message: string;
  [k: string]: unknown;
}

export function captureLogger(): { log: winston.Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as CapturedLog);
      cb();
    },
  });
  const log = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, lines };
}
