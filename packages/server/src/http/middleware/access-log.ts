import type { RequestHandler } from 'express';
import type { Logger } from '../../log/logger.js';

/** Permission hints carry signatures; the query string may carry api_token. Log neither. */
export function redactPath(originalUrl: string): string {
  const path = originalUrl.split('?')[0] ?? '';
  return path.replace(/\+A[^+/]*/g, '');
}

/**
 * One log line per request when it ends: status (499 when the client went away before the
 * response finished), bytes in and out, duration, request id and worker.
 */
export function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    let bytesIn = 0;
    let bytesOut = 0;
    req.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
    countWrites(res as unknown as Countable, (n) => (bytesOut += n));
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      log.info('request', {
        requestId: res.locals['requestId'],
        method: req.method,
        path: redactPath(req.originalUrl),
        status,
        bytesIn,
        bytesOut,
        durationMs: Math.round(durationMs * 1000) / 1000,
        ...(res.locals['errorMessage'] ? { error: res.locals['errorMessage'] } : {}),
      });
    });
    next();
  };
}

type Writer = (chunk: unknown, ...rest: unknown[]) => boolean;

/** Count body bytes as they are written (streamed responses have no Content-Length to read). */
type Countable = { write: Writer; end: (...args: unknown[]) => unknown };

function countWrites(res: Countable, add: (n: number) => void): void {
  const size = (chunk: unknown): number =>
    typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.length : 0;
  const write = res.write;
  res.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
    add(size(chunk));
    return write.call(this, chunk, ...rest);
  };
  const end = res.end;
  res.end = function (this: unknown, ...args: unknown[]) {
    if (typeof args[0] !== 'function') add(size(args[0]));
    return end.apply(this, args);
  };
}
