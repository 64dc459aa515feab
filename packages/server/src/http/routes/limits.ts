import { Router } from 'express';
import { limitsPatchError, type LimitsPatch } from '../../config/limits.js';
import { BadRequestError } from '../../errors.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';
import { readBody } from '../read-body.js';
import { refuseInput, refuseQuery } from '../request-input.js';

/** A limits body is a handful of fields. */
const MAX_LIMITS_BODY_BYTES = 64 * 1024;

function parsePatch(text: string): LimitsPatch {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('body: not JSON (expected an object such as {"pullBandwidth": 104857600})');
  }
  const error = limitsPatchError(value);
  if (error !== null) throw new BadRequestError(error);
  return value as LimitsPatch;
}

/**
 * GET and PUT /pull/limits (admin; README "Pull pacing"): the limits in force, and live
 * changes to them. A PUT names any of the limits (a number sets it, null clears its live
 * value), is checked whole before anything changes (400 naming each bad field), and answers
 * the limits now in force. Neither takes a query parameter (but `api_token`); GET takes no body.
 * /trash/limits is the same resource (trashConcurrency lives there too).
 */
export function limitsRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  const paths = ['/pull/limits', '/trash/limits'];
  router.get(paths, admin, async (req, res) => {
    refuseInput(req);
    res.json(await ctx.primary.limits(null));
  });
  router.put(paths, admin, async (req, res) => {
    refuseQuery(req);
    const patch = parsePatch(await readBody(req, MAX_LIMITS_BODY_BYTES));
    const limits = await ctx.primary.limits(patch);
    ctx.log.info('limits set', { requestId: res.locals['requestId'], set: patch, limits });
    res.json(limits);
  });
  return router;
}
