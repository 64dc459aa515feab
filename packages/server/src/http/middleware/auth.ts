import type { Request, RequestHandler } from 'express';
import { extractToken, sameToken } from '@keepstore/protocol';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../../errors.js';

/**
 * The `api_token` query parameter. Repeated (`?api_token=T&api_token=T`, as some clients add
 * it twice) it is taken when every copy agrees; copies that disagree are ambiguous: 400.
 */
function queryToken(req: Request): string | undefined {
  const q: unknown = req.query['api_token'];
  if (q === undefined || typeof q === 'string') return q;
  const values = Array.isArray(q) ? q : [q];
  const first: unknown = values[0];
  if (typeof first === 'string' && values.every((v) => v === first)) return first;
  throw new BadRequestError('conflicting api_token parameters');
}

/** The caller's token, from the places docs/api.md "Tokens" lists, in that order. */
export function requestToken(req: Request): string | undefined {
  return extractToken({
    authorization: req.get('Authorization'),
    apiTokenQuery: queryToken(req),
    cookieHeader: req.get('Cookie'),
  });
}

/**
 * Require exactly `expected` (the system root token for admin endpoints, the management token
 * for metrics and health), compared in constant time. No token: 401; another token: 403. An
 * empty `expected` turns the check off (the primary warns about that at start).
 */
export function requireToken(expected: string): RequestHandler {
  return (req, _res, next) => {
    if (expected === '') return next();
    const token = requestToken(req);
    if (token === undefined) return next(new UnauthorizedError('Unauthorized'));
    if (!sameToken(token, expected)) return next(new ForbiddenError('Forbidden'));
    next();
  };
}
