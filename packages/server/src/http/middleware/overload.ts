import type { Request, RequestHandler } from 'express';
import { OverloadedError, TooManyRequestsError } from '../../errors.js';
import type { ClientLimiter } from '../client-limiter.js';
import { refuseBody } from '../lingering-close.js';
import type { RequestLimiter } from '../request-limiter.js';

/**
 * Puts every request that reaches it through admission control: first its client's place
 * (`clients`: at most maxRequestsPerClient running or waiting per address, 429 beyond), then
 * a slot (`limiter`: it runs, waits for a slot, or gets 503 at once). Mounted in front of the
 * block and index routes only, so health, metrics and status stay reachable when the block
 * routes are saturated.
 *
 * Both are held until the response closes (finished, or the client went away) and released
 * exactly once; a request that is still waiting when its client goes away leaves the queue
 * and gives its client's place back. A refused request is answered without reading its body
 * (refuseBody: `Connection: close`, lingering): draining it to reuse the connection would
 * spend the bandwidth that overload protection is meant to save. A `background` request (a
 * peer pulling from us) waits behind every client's.
 */
export function overloadGuard(
  limiter: RequestLimiter,
  clients: ClientLimiter,
  background: (req: Request) => boolean = () => false,
): RequestHandler {
  return (req, res, next) => {
    const address = req.socket.remoteAddress ?? '';
    if (!clients.enter(address)) {
      refuseBody(req, res);
      next(new TooManyRequestsError());
      return;
    }
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      clients.leave(address);
    };
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      limiter.release();
      leave();
    };
    const admission = limiter.enter(
      () => {
        if (res.closed) {
          release(); // gone in the same tick the slot was handed over
          return;
        }
        res.once('close', release);
        next();
      },
      () => background(req),
    );
    switch (admission.kind) {
      case 'run':
        res.once('close', release);
        next();
        return;
      case 'queued': {
        const { ticket } = admission;
        res.once('close', () => {
          ticket.cancel();
          leave(); // once started, `release` gives the slot back too
        });
        return;
      }
      case 'rejected':
        leave();
        refuseBody(req, res);
        next(new OverloadedError());
        return;
    }
  };
}
