import { Router } from 'express';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

/**
 * GET /metrics with the management token: Prometheus text for the whole server. Whichever
 * worker takes the scrape asks the primary, which sums every worker's figures with its own
 * (see primary/primary-metrics.ts), so any one scrape sees all workers.
 */
export function metricsRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/metrics', requireToken(ctx.config.managementToken), async (_req, res) => {
    const { text, contentType } = await ctx.primary.metrics();
    res.setHeader('Content-Type', contentType);
    res.status(200).send(text);
  });
  return router;
}
