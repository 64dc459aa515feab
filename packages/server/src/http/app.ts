import express, { type Express } from 'express';
import { accessLog } from './middleware/access-log.js';
import { cors } from './middleware/cors.js';
import { errorHandler, unknownRoute } from './middleware/error-handler.js';
import { requestId } from './middleware/request-id.js';
import { blockRoutes } from './routes/blocks.js';
import { healthRoutes } from './routes/health.js';
import { indexRoutes } from './routes/index-listing.js';
import { mountRoutes } from './routes/mounts.js';
import { statusRoutes } from './routes/status.js';
import { trashOpsRoutes } from './routes/trash-ops.js';
import { workListRoutes } from './routes/work-lists.js';
import type { WorkerContext } from './worker-context.js';

/**
 * The whole HTTP API of one worker. Named routes come before the catch-all locator routes;
 * block routes read the raw request stream (no body parser anywhere near them).
 */
export function createApp(ctx: WorkerContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(requestId, accessLog(ctx.log), cors);
  app.use(healthRoutes(ctx), statusRoutes(ctx), mountRoutes(ctx), indexRoutes(ctx), workListRoutes(ctx));
  app.use(trashOpsRoutes(ctx), blockRoutes(ctx));
  app.use(unknownRoute);
  app.use(errorHandler(ctx.log));
  return app;
}
