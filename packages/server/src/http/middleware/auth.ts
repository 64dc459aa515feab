import type { Request, RequestHandler } from 'express';
import { extractToken } from '@keepstore/protocol';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';

/** The caller's token, from the places PROTOCOL.md lists, in that order. */
export function requestToken(req: Request): string | undefined {
  const q = req.query['api_token'];
  return extractToken({
    authorization: req.get('Authorization'),
    apiTokenQuery: typeof q === 'string' ? q : undefined,
    cookieHeader: req.get('Cookie'),
  });
}

/**
 * Require exactly `expected` (the system root token for admin endpoints, the management token
 * for metrics and health). No token: 401; another token: 403. An empty `expected` turns the
 * check off (the primary warns about that at start).
 */
export function requireToken(expected: string): RequestHandler {
  return (req, _res, next) => {
    if (expected === '') return next();
    const token = requestToken(req);
    if (token === undefined) return next(new UnauthorizedError('Unauthorized'));
    if (token !== expected) return next(new ForbiddenError('Forbidden'));
    next();
  };
}
