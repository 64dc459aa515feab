import type { ErrorRequestHandler, RequestHandler } from 'express';
import { BadRequestError, KeepError } from '../../errors.js';
import { describeError, type Logger } from '../../log/logger.js';

/** Unknown paths and methods are 400, as in Arvados keepstore. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new BadRequestError(`unsupported request ${req.method} ${req.path.split('+')[0]}`));
};

/**
 * The one place errors become HTTP: a KeepError answers its status with its message as a
 * one-line plain-text body; anything else is a 500 whose details go to the log only.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = err instanceof KeepError;
    const status = known ? err.status : typeof err?.status === 'number' && err.status < 500 ? err.status : 500;
    const message = known ? err.message : status < 500 ? 'bad request' : 'internal error';
    res.locals['errorMessage'] = message;
    if (!known && status >= 500) log.error('unhandled error', { requestId: res.locals['requestId'], error: describeError(err) });
    if (res.headersSent) {
      res.destroy(); // mid-stream failure: the client must see a broken response, not a short 200
      return;
    }
    if (status === 413) res.setHeader('Connection', 'close'); // the rest of the body is not read
    res.status(status).type('text/plain').send(`${message}\n`);
  };
}
