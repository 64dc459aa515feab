import { Router } from 'express';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';

/** GET /mounts: the volumes as Arvados clients expect them, sorted by uuid. */
export function mountRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/mounts', requireToken(ctx.config.systemRootToken), (_req, res) => {
    res.json(
      ctx.volumes.list.map((v) => ({
        uuid: v.uuid,
        device_id: v.deviceId,
        allow_write: !v.readOnly,
        allow_trash: !v.readOnly && ctx.config.blobTrash,
        replication: v.replication,
        storage_classes: Object.fromEntries(v.storageClasses.map((c) => [c, true])),
      })),
    );
  });
  return router;
}
