import express, { type Express, type RequestHandler, Router } from 'express';
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

/**
 * The whole HTTP API of one worker. Named routes come before the catch-all locator routes;
 * block routes read the raw request stream (no body parser anywhere near them). Block and
 * index routes sit behind the overload guard (maxConcurrentRequests running, maxQueuedRequests
 * waiting, 503 beyond); health, metrics, status and the list uploads stay in front of it so
 * they answer even when the block routes are saturated.
 *
 * A block request (GET, HEAD or PUT of `/HASH…`) is recognised by its path at once and taken
 * to the guard and the block routes directly, instead of being matched against every named
 * route first: no named route has such a path, so the answer is the same, for less work on
 * the most frequent request. Anything else (an encoded or malformed locator too) takes the
 * long way and still ends at the block routes.
 */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  const limiter = new RequestLimiter(ctx.config.maxConcurrentRequests, ctx.config.maxQueuedRequests);
  ctx.metrics?.trackLimiter(() => limiter.stats());
  const clients = new ClientLimiter(ctx.config.maxRequestsPerClient);
  const admitted = [overloadGuard(limiter, clients), idleTimeout(ctx.config.requestIdleTimeout, ctx.log, ctx.metrics?.countIdleTimeout)];
  const blocks = blockRoutes(ctx);
  app.use(requestId, accessLog(ctx.log, ctx.metrics?.observeRequest), cors);
  app.use(blockRequestsFirst(Router().use(admitted, blocks)));
  app.use(healthRoutes(ctx), metricsRoutes(ctx), statusRoutes(ctx), mountRoutes(ctx), workListRoutes(ctx));
  app.use(admitted);
  app.use(indexRoutes(ctx), trashOpsRoutes(ctx), blocks);
  app.use(unknownRoute);
  app.use(errorHandler(ctx.log));
  return app;
}

/** A path of one segment that starts with a block hash (the hints, if any, follow a '+'). */
const BLOCK_PATH = /^\/[0-9a-f]{32}(?:\+[^/]*)?$/;
const BLOCK_METHODS = new Set(['GET', 'HEAD', 'PUT']);

/** Sends block requests to `chain` (which answers every one of them) and the rest on. */
function blockRequestsFirst(chain: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (BLOCK_METHODS.has(req.method) && BLOCK_PATH.test(req.path)) chain(req, res, next);
    else next();
  };
}
