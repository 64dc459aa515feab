import type { Request } from 'express';
import { isPullToken } from '../pull/peer-locator.js';
import { requestToken } from './middleware/auth.js';

/** A GET from a keepstore pulling from us: it carries a pull token, and ranks below clients when we are saturated. */
export function isPeerPull(req: Request): boolean {
  if (req.method !== 'GET') return false;
  try {
    const token = requestToken(req);
    return token !== undefined && isPullToken(token);
  } catch {
    return false; // conflicting tokens: the route refuses it; no reason to rank it
  }
}
