import type { RequestHandler } from 'express';
import type { Logger } from '../../log/logger.js';
import type { RequestSummary } from '../../metrics/http-figures.js';
import { redactSignatures } from '../../log/redact.js';

/**
 * Permission hints carry signatures; the query string may carry api_token. Log neither.
 * The path is percent-decoded first: routing decodes `%2B` to `+` and `%41` to `A`, so an
 * encoded signature is accepted, and must be recognised here too.
 */
export function redactPath(originalUrl: string): string {
  const end = originalUrl.search(/[?#]/);
  const path = end < 0 ? originalUrl : originalUrl.slice(0, end);
  // No '%': nothing to decode (the usual block path), and no decoded control character.
  if (!path.includes('%')) return redactSignatures(path);
  // Control characters (a decoded %0A) would split a text log line or a one-line error body.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return redactSignatures(percentDecode(path)).replace(/[\x00-\x1f\x7f]/g, '?');
}

function percentDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // Malformed somewhere (a stray '%'): decode every well-formed escape on its own.
    return path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * One log line per request when it ends: status (499 when the client went away before the
 * response finished), bytes in and out, duration, request id and worker. `observe` (metrics)
 * gets the same figures, so bytes are counted in one place.
 */
export function accessLog(log: Logger, observe?: (summary: RequestSummary) => void): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    let bytesIn = 0;
    let bytesOut = 0;
    countPushes(req as unknown as Pushable, (n) => (bytesIn += n));
    countWrites(res as unknown as Countable, (n) => (bytesOut += n));
    res.once('close', () => {
      // Not finished: the client left (499), unless the server broke the response off itself
      // (the error handler then recorded the status it could not send, e.g. 502 mid-GET).
      const status = res.writableFinished ? res.statusCode : ((res.locals['errorStatus'] as number | undefined) ?? 499);
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      observe?.({ method: req.method, status, bytesIn, bytesOut, durationSeconds: durationMs / 1000 });
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

/**
 * Count body bytes as the HTTP parser hands them to the request stream. Not a 'data'
 * listener: that would switch the request into flowing mode before the route pipes it, and
 * the body would be lost (and backpressure with it).
 */
type Pushable = { push: (chunk: unknown, encoding?: BufferEncoding) => boolean };

function countPushes(req: Pushable, add: (n: number) => void): void {
  const push = req.push;
  req.push = function (this: unknown, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk instanceof Uint8Array) add(chunk.length);
    return push.call(this, chunk, encoding);
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
