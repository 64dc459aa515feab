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

function newId(): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += (b % 36).toString(36);
  return out;
}
