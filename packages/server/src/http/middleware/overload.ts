import type { RequestHandler } from 'express';
import { OverloadedError } from '../../errors.js';
import type { RequestLimiter } from '../request-limiter.js';

/**
 * Puts every request that reaches it through `limiter`: it runs, waits for a slot, or gets
 * 503 at once. Mounted in front of the block and index routes only, so health, metrics and
 * status stay reachable when the block routes are saturated.
 *
 * The slot is held until the response closes (finished, or the client went away); a request
 * that is still waiting when its client goes away leaves the queue. A refused request with
 * a body also gets `Connection: close`: its body is never read, and draining it to reuse the
 * connection would spend the bandwidth that overload protection is meant to save.
 */
export function overloadGuard(limiter: RequestLimiter): RequestHandler {
  return (req, res, next) => {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      limiter.release();
    };
    const admission = limiter.enter(() => {
      if (res.closed) {
        release(); // gone in the same tick the slot was handed over
        return;
      }
      res.once('close', release);
      next();
    });
    switch (admission.kind) {
      case 'run':
        res.once('close', release);
        next();
        return;
      case 'queued': {
        const { ticket } = admission;
        res.once('close', () => ticket.cancel());
        return;
      }
      case 'rejected':
        if (hasBody(req.headers)) res.setHeader('Connection', 'close');
        next(new OverloadedError());
        return;
    }
  };
}

function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
