import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Echo a sane X-Request-Id or make one (Arvados style `req-` + 20 base36 chars). */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.get('X-Request-Id');
  const id = given && SAFE_ID.test(given) ? given : `req-${newId()}`;
  res.locals['requestId'] = id;
  res.setHeader('X-Request-Id', id);
  next();
};

/** Random bytes fetched in batches: one getrandom() call per 204 ids, not a syscall per request. */
const POOL_SIZE = 4096; // bytes
let pool = randomBytes(POOL_SIZE);
let used = 0;

function newId(): string {
  if (used + 20 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  let out = '';
  for (let i = used; i < used + 20; i++) out += ((pool[i] ?? 0) % 36).toString(36);
  used += 20;
  return out;
}
