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
import { metricsRoutes } from './routes/metrics.js';
import { mountRoutes } from './routes/mounts.js';
import { statusRoutes } from './routes/status.js';
import { trashOpsRoutes } from './routes/trash-ops.js';
import { workListRoutes } from './routes/work-lists.js';
import type { AppContext } from './app-context.js';
import { isPeerPull } from './peer-pull.js';
import { limitsRoutes } from './routes/limits.js';

/**
 * The whole HTTP API of one worker. Named routes come before the catch-all locator routes;
 * block routes read the raw request stream (no body parser anywhere near them). Block and
 * index routes sit behind the overload guard (maxConcurrentRequests running, maxQueuedRequests
 * waiting, 503 beyond); health, metrics, status and the list uploads stay in front of it so
 * they answer even when the block routes are saturated; a peer pulling from us waits behind
 * clients there. `limiter` is the worker's (its yield gate watches the client queue).
 */
export function createApp(
  ctx: AppContext,
  limiter = new RequestLimiter(ctx.config.maxConcurrentRequests, ctx.config.maxQueuedRequests),
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  ctx.metrics?.trackLimiter(() => limiter.stats());
  app.use(requestId, accessLog(ctx.log, ctx.metrics?.observeRequest), cors);
  app.use(healthRoutes(ctx), metricsRoutes(ctx), statusRoutes(ctx), mountRoutes(ctx), workListRoutes(ctx), limitsRoutes(ctx));
  const clients = new ClientLimiter(ctx.config.maxRequestsPerClient);
  app.use(overloadGuard(limiter, clients, isPeerPull), idleTimeout(ctx.config.requestIdleTimeout, ctx.log, ctx.metrics?.countIdleTimeout));
  app.use(indexRoutes(ctx), trashOpsRoutes(ctx), blockRoutes(ctx));
  app.use(unknownRoute);
  app.use(errorHandler(ctx.log));
  return app;
}
