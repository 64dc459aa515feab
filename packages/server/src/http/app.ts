import express, { type Express } from 'express';
import { accessLog } from './middleware/access-log.js';
import { cors } from './middleware/cors.js';
import { ClientLimiter } from './client-limiter.js';
import { errorHandler, unknownRoute } from './middleware/error-handler.js';
import { idleTimeout } from './middleware/idle-timeout.js';
import { overloadGuard } from './middleware/overload.js';
import { requestId } from './middleware/request-id.js';
import { RequestLimiter } from './request-limiter.js';
import { blockRoutes } from './routes/blocks.js';
import { healthRoutes } from './routes/health.js';
import { indexRoutes } from './routes/index-listing.js';
import { listControlRoutes } from './routes/list-control.js';
import { metricsRoutes } from './routes/metrics.js';
import { mountRoutes } from './routes/mounts.js';
import { statusRoutes } from './routes/status.js';
import { trashOpsRoutes } from './routes/trash-ops.js';
import { workListRoutes } from './routes/work-lists.js';
import type { AppContext } from './app-context.js';

/**
 * The whole HTTP API of one worker. Named routes come before the catch-all locator routes;
 * block routes read the raw request stream (no body parser anywhere near them). Block and
 * index routes sit behind the overload guard (maxConcurrentRequests running, maxQueuedRequests
 * waiting, 503 beyond); health, metrics, status, the list uploads and their controls stay in front of it so
 * they answer even when the block routes are saturated.
 */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  const limiter = new RequestLimiter(ctx.config.maxConcurrentRequests, ctx.config.maxQueuedRequests);
  ctx.metrics?.trackLimiter(() => limiter.stats());
  app.use(requestId, accessLog(ctx.log, ctx.metrics?.observeRequest), cors);
  app.use(healthRoutes(ctx), metricsRoutes(ctx), statusRoutes(ctx), mountRoutes(ctx), workListRoutes(ctx), listControlRoutes(ctx));
  const clients = new ClientLimiter(ctx.config.maxRequestsPerClient);
  app.use(overloadGuard(limiter, clients), idleTimeout(ctx.config.requestIdleTimeout, ctx.log, ctx.metrics?.countIdleTimeout));
  app.use(indexRoutes(ctx), trashOpsRoutes(ctx), blockRoutes(ctx));
  app.use(unknownRoute);
  app.use(errorHandler(ctx.log));
  return app;
}
