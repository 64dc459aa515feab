import { Router } from 'express';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

/** GET /_health/ping with the management token: the readiness probe. */
export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/_health/ping', requireToken(ctx.config.managementToken), (_req, res) => {
    res.json({ health: 'OK' });
  });
  return router;
}
