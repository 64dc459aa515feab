import type { ErrorRequestHandler, RequestHandler } from 'express';
import { BadRequestError, ClientGoneError, KeepError } from '../../errors.js';
import { describeError, type Logger } from '../../log/logger.js';
import { refuseBody } from '../lingering-close.js';
import { redactPath } from './access-log.js';

/** Unknown paths and methods are 400, as in Arvados keepstore. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  // Decoded and cut at the first '+', like the access log: no hint (signature) in the message.
  next(new BadRequestError(`unsupported request ${req.method} ${redactPath(req.originalUrl).split('+')[0]}`));
};

/**
 * The one place errors become HTTP: a KeepError answers its status with its message as a
 * one-line plain-text body; anything else is a 500 whose details go to the log only.
 * The status is also left in `res.locals.errorStatus` for the access log, which otherwise
 * cannot tell a response the server broke off (mid-stream failure) from a client that left.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // The client went away (mid-PUT body, mid-GET): nothing to answer and nothing to alarm
    // anyone about; the access log records 499 (or the 408 an idle timeout recorded first).
    if (err instanceof ClientGoneError || res.closed || req.socket?.destroyed === true) {
      res.locals['errorStatus'] ??= 499;
      res.destroy();
      return;
    }
    const known = err instanceof KeepError;
    const status = known ? err.status : typeof err?.status === 'number' && err.status < 500 ? err.status : 500;
    const message = known ? err.message : status < 500 ? 'bad request' : 'internal error';
    res.locals['errorMessage'] = message;
    res.locals['errorStatus'] = status;
    if (!known && status >= 500) log.error('unhandled error', { requestId: res.locals['requestId'], error: describeError(err) });
    if (res.headersSent) {
      res.destroy(); // mid-stream failure: the client must see a broken response, not a short 200
      return;
    }
    if (status === 413) refuseBody(req, res); // the rest of the body is not read
    res.status(status).type('text/plain').send(`${message}\n`);
  };
}
