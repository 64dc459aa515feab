import { Router } from 'express';
import { requireToken } from '../middleware/auth.js';
import { freeBytesOrNull } from '../../volume/free-space.js';
import type { AppContext } from '../app-context.js';

/**
 * GET /status.json: the operator view. Volumes (with free space, as this worker sees them) and
 * the cluster view from the primary: workers with their volumes, the pull and trash queues,
 * the limits in force and who is throttled (README "Pull pacing").
 */
export function statusRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/status.json', requireToken(ctx.config.systemRootToken), async (_req, res) => {
    const [status, volumes] = await Promise.all([
      ctx.primary.status(),
      Promise.all(
        ctx.volumes.list.map(async (v) => ({
          uuid: v.uuid,
          device_id: v.deviceId,
          read_only: v.readOnly,
          replication: v.replication,
          storage_classes: v.storageClasses,
          bytes_free: await freeBytesOrNull(v), // null: unknown (S3), never a made-up number
        })),
      ),
    ]);
    res.json({
      volumes,
      workers: status.workers,
      pullQueue: status.pullQueue,
      trashQueue: { ...status.trashQueue, enabled: ctx.config.blobTrash },
      limits: status.pacing.limits,
      throttle: { workers: status.pacing.workers, peerSlots: status.pacing.peerSlots },
      servedBy: ctx.index,
    });
  });
  return router;
}
