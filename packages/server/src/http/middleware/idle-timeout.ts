import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { IdleTimeoutError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { IdleDirection } from '../../metrics/http-figures.js';
import { awaitsContinue } from '../server.js';
import { redactPath } from './access-log.js';

/** Bytes a client must move (either way) within each idle window to count as progressing. */
const PROGRESS_BYTES = 64 * 1024;

/**
 * Cuts a request whose client makes no progress for `idleMs` while the server waits on it:
 * a PUT body that stops arriving (or trickles: fewer than PROGRESS_BYTES received in the
 * window), or a response the client stops reading (data queued on the socket, fewer than
 * PROGRESS_BYTES taken by the kernel in the window; a write counts once it is all taken, and
 * block writes are at most 1 MiB). Time the server spends itself (disk, a full request buffer
 * it has not read yet, a 100 Continue not sent yet) never counts.
 *
 * Cutting destroys the connection: the route sees its client gone and closes its file, the
 * slot is released by the overload guard, and the access log records 408. One warning line
 * (`request idle timeout`) and `onIdle` (the metric) per cut. Checked every idleMs / 4, so a
 * request is cut between idleMs and 1.25 x idleMs after its last progress.
 */
export function idleTimeout(idleMs: number, log: Logger, onIdle?: (direction: IdleDirection) => void): RequestHandler {
  const watch = new IdleWatch(Math.max(1, Math.floor(idleMs / 4)));
  return (req, res, next) => {
    const socket = req.socket; // kept: req.socket is null once a pipeline has destroyed req
    let mark = { at: Date.now(), received: socket.bytesRead, sent: sentBytes(socket) };
    const check = (now: number): void => {
      const received = socket.bytesRead;
      const sent = sentBytes(socket);
      const waiting = waitingOn(req, socket);
      if (waiting === null || received - mark.received >= PROGRESS_BYTES || sent - mark.sent >= PROGRESS_BYTES) {
        mark = { at: now, received, sent };
        return;
      }
      if (now - mark.at < idleMs) return;
      watch.delete(check);
      cut(req, res, socket, waiting, idleMs, log);
      onIdle?.(waiting);
    };
    watch.add(check);
    res.once('close', () => watch.delete(check));
    next();
  };
}

/**
 * The requests of one app being watched, all checked on one interval timer (not one timer per
 * request: arming and clearing one per request showed in small-request profiles). The timer
 * runs while there is something to watch and stops at the first tick that finds nothing.
 */
class IdleWatch {
  readonly #checks = new Set<(now: number) => void>();
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly periodMs: number) {}

  add(check: (now: number) => void): void {
    this.#checks.add(check);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.periodMs);
    this.#timer.unref();
  }

  delete(check: (now: number) => void): void {
    this.#checks.delete(check);
  }

  #tick(): void {
    if (this.#checks.size === 0) {
      clearInterval(this.#timer ?? undefined);
      this.#timer = null;
      return;
    }
    const now = Date.now();
    for (const check of this.#checks) check(now);
  }
}

/** Bytes of this connection the kernel has taken from us (queued bytes not counted). */
function sentBytes(socket: Socket): number {
  return socket.bytesWritten - socket.writableLength;
}

/** What the server is waiting on the client for now, if anything. */
function waitingOn(req: Request, socket: Socket): IdleDirection | null {
  if (socket.writableLength > 0) return 'sending';
  const bodyDue = !req.complete && !awaitsContinue(req) && req.readableLength < req.readableHighWaterMark;
  return bodyDue ? 'receiving' : null;
}

function cut(req: Request, res: Response, socket: Socket, direction: IdleDirection, idleMs: number, log: Logger): void {
  const err = new IdleTimeoutError(`idle timeout: no progress ${direction} for ${idleMs} ms`);
  res.locals['errorStatus'] = err.status;
  res.locals['errorMessage'] = err.message;
  log.warn('request idle timeout', {
    requestId: res.locals['requestId'],
    method: req.method,
    path: redactPath(req.originalUrl),
    direction,
    idleMs,
  });
  socket.destroy();
}
