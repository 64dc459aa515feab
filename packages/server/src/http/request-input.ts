import type { Request } from 'express';
import { BadRequestError } from '../errors.js';
import { hasBody } from './lingering-close.js';

/**
 * A query parameter other than `api_token` on a request that takes none: 400 naming it, so a
 * misspelt option is not silently ignored.
 */
export function refuseQuery(req: Request): void {
  const unknown = Object.keys(req.query).filter((name) => name !== 'api_token');
  if (unknown.length > 0)
    throw new BadRequestError(`unknown parameter ${JSON.stringify(unknown[0])}: ${req.method} ${req.path} takes none`);
}

/**
 * The one validator of requests that take no input but the admin token (GET /pull, POST
 * /pull/pause, GET /pull/limits, …): a query parameter (see refuseQuery) or a body (a request
 * that looks like it meant to say something, e.g. limits sent to the wrong path) is a 400
 * naming it, and changes nothing.
 */
export function refuseInput(req: Request): void {
  refuseQuery(req);
  if (hasBody(req)) throw new BadRequestError(`${req.method} ${req.path} takes no body`);
}
