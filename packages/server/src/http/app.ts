import express, { type Express, type RequestHandler } from 'express';
import { accessLog } from './middleware/access-log.js';
import { cors } from './middleware/cors.js';
import { ClientLimiter } from './client-limiter.js';
import { errorHandler, unknownRoute } from './middleware/error-handler.js';
import { idleTimeout } from './middleware/idle-timeout.js';
import { overloadGuard } from './middleware/overload.js';
import { requestId } from './middleware/request-id.js';
import { RequestLimiter } from './request-limiter.js';
import { type BlockHandlers, blockHandlers, blockRoutes } from './routes/blocks.js';
import { healthRoutes } from './routes/health.js';
import { indexRoutes } from './routes/index-listing.js';
import { listControlRoutes } from './routes/list-control.js';
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
 * waiting, 503 beyond); health, metrics, status, the list uploads and their controls stay in
 * front of it so they answer even when the block routes are saturated; a peer pulling from us
 * waits behind clients there. `limiter` is the worker's (its yield gate watches the client queue).
 *
 * A block request (GET, HEAD or PUT of `/HASH…`) is recognised by its path at once and taken
 * to the guard and the block routes directly, instead of being matched against every named
 * route first: no named route has such a path, so the answer is the same, for less work on
 * the most frequent request. Anything else (an encoded or malformed locator too) takes the
 * long way and still ends at the same handlers.
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
  const clients = new ClientLimiter(ctx.config.maxRequestsPerClient);
  const admitted = [
    overloadGuard(limiter, clients, isPeerPull),
    idleTimeout(ctx.config.requestIdleTimeout, ctx.log, ctx.metrics?.countIdleTimeout),
  ];
  const handlers = blockHandlers(ctx);
  app.use(requestId, accessLog(ctx.log, ctx.metrics?.observeRequest), cors);
  app.use(blockRequestsFirst(admitted, handlers));
  app.use(
    healthRoutes(ctx),
    metricsRoutes(ctx),
    statusRoutes(ctx),
    mountRoutes(ctx),
    workListRoutes(ctx),
    listControlRoutes(ctx),
    limitsRoutes(ctx),
  );
  app.use(admitted);
  app.use(indexRoutes(ctx), trashOpsRoutes(ctx), blockRoutes(handlers));
  app.use(unknownRoute);
  app.use(errorHandler(ctx.log));
  return app;
}

/**
 * A path of one segment that starts with a block hash, hints (if any) after a '+'. No '%':
 * the path is then the locator as it is, with nothing to decode.
 */
const BLOCK_PATH = /^\/[0-9a-f]{32}(?:\+[^/%]*)?$/;

/**
 * Runs a block request through `admitted` (the overload guard, the idle timeout) and its
 * handler directly: express's Router would match the path against each route again, and
 * walk two more routers, to reach the same handler with the same `req.params.locator`.
 * Everything else goes on to the routes.
 */
function blockRequestsFirst(admitted: readonly RequestHandler[], handlers: BlockHandlers): RequestHandler {
  return (req, res, next) => {
    const handler = Object.hasOwn(handlers, req.method) ? handlers[req.method as keyof BlockHandlers] : undefined;
    const path = req.path;
    if (!handler || !BLOCK_PATH.test(path)) {
      next();
      return;
    }
    req.params = { locator: path.slice(1) };
    const step = (i: number): void => {
      const middleware = admitted[i];
      if (!middleware) {
        handler(req, res).catch(next);
        return;
      }
      try {
        middleware(req, res, (err?: unknown) => (err ? next(err) : step(i + 1)));
      } catch (err) {
        next(err);
      }
    };
    step(0);
  };
}
