import { Router } from 'express';
import { LIST_NAMES } from '../../list-progress.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';
import { refuseInput } from '../request-input.js';

/**
 * Operator control of the pull and trash lists (admin): GET /pull and GET /trash report the
 * current list's progress, jobs in flight and recent failures; POST /KIND/pause and
 * /KIND/resume stop and restart dispatching without dropping the list (idempotent: 200 with
 * the state either way). The primary holds all of it; this worker asks it over rpc.
 */
export function listControlRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);
  for (const kind of LIST_NAMES) {
    router.get(`/${kind}`, admin, async (req, res) => {
      refuseInput(req);
      res.json(await ctx.primary.listProgress(kind));
    });
    for (const [action, paused] of [
      ['pause', true],
      ['resume', false],
    ] as const) {
      router.post(`/${kind}/${action}`, admin, async (req, res) => {
        refuseInput(req);
        const state = await ctx.primary.setPaused(kind, paused);
        ctx.log.info(`${kind} list ${action} requested`, { requestId: res.locals['requestId'], paused: state.paused });
        res.json(state);
      });
    }
  }
  return router;
}
