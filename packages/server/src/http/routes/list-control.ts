import { Router, type Request } from 'express';
import { BadRequestError } from '../../errors.js';
import type { ListName } from '../../list-progress.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

const LISTS: readonly ListName[] = ['pull', 'trash'];

/**
 * The one validator of these requests: they take no input but the admin token. A query
 * parameter other than `api_token`, or a body (a POST that looks like it meant to say
 * something, e.g. limits sent to the wrong path), is a 400 naming it, and changes nothing.
 */
function noInput(req: Request): void {
  const unknown = Object.keys(req.query).filter((name) => name !== 'api_token');
  if (unknown.length > 0)
    throw new BadRequestError(`unknown parameter ${JSON.stringify(unknown[0])}: ${req.method} ${req.path} takes none`);
  const length = req.get('Content-Length');
  if ((length !== undefined && length !== '0') || req.get('Transfer-Encoding') !== undefined) {
    throw new BadRequestError(`${req.method} ${req.path} takes no body`);
  }
}

/**
 * Operator control of the pull and trash lists (admin): GET /pull and GET /trash report the
 * current list's progress, jobs in flight and recent failures; POST /KIND/pause and
 * /KIND/resume stop and restart dispatching without dropping the list (idempotent: 200 with
 * the state either way). The primary holds all of it; this worker asks it over rpc.
 */
export function listControlRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  for (const kind of LISTS) {
    router.get(`/${kind}`, admin, async (req, res) => {
      noInput(req);
      res.json(await ctx.primary.listProgress(kind));
    });
    for (const [action, paused] of [
      ['pause', true],
      ['resume', false],
    ] as const) {
      router.post(`/${kind}/${action}`, admin, async (req, res) => {
        noInput(req);
        const state = await ctx.primary.setPaused(kind, paused);
        ctx.log.info(`${kind} list ${action} requested`, { requestId: res.locals['requestId'], paused: state.paused });
        res.json(state);
      });
    }
  }
  return router;
}
