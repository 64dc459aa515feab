import { Router } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../../errors.js';
import { describeError } from '../../log/logger.js';
import { isOldEnoughToTrash } from '../../trash/trash-rules.js';
import { requireToken } from '../middleware/auth.js';
import type { WorkerContext } from '../worker-context.js';
import { locatorParam } from './blocks.js';

/** DELETE /LOCATOR (trash every old-enough copy) and PUT /untrash/LOCATOR, admin only. */
export function trashOpsRoutes(ctx: WorkerContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);

  router.delete('/:locator', admin, async (req, res) => {
    if (!ctx.config.blobTrash) throw new MethodNotAllowedError('trash is disabled on this server');
    const { hash } = locatorParam(req);
    let deleted = 0;
    let failed = 0;
    for (const volume of ctx.volumes.list) {
      if (volume.readOnly) continue;
      try {
        const stat = await volume.stat(hash);
        if (!stat || !isOldEnoughToTrash(stat.mtimeNs, Date.now(), ctx.config.blobSigningTTL)) continue;
        await volume.trash(hash, ctx.config.blobTrashLifetime / 1000, Math.floor(Date.now() / 1000));
        deleted++;
        ctx.log.info('block trashed', { requestId: res.locals['requestId'], locator: hash, mount: volume.uuid });
      } catch (err) {
        failed++;
        ctx.log.warn('trash failed', { locator: hash, mount: volume.uuid, error: describeError(err) });
      }
    }
    if (deleted === 0 && failed === 0) throw new NotFoundError();
    res.status(200).json({ copies_deleted: deleted, copies_failed: failed });
  });

  router.put('/untrash/:locator', admin, async (req, res) => {
    const { hash } = locatorParam(req);
    const restored: string[] = [];
    for (const volume of ctx.volumes.list) {
      if (volume.readOnly) continue;
      try {
        await volume.untrash(hash);
        restored.push(volume.uuid);
      } catch (err) {
        if (!(err instanceof NotFoundError)) ctx.log.warn('untrash failed', { locator: hash, mount: volume.uuid, error: describeError(err) });
      }
    }
    if (restored.length === 0) throw new NotFoundError();
    ctx.log.info('block untrashed', { requestId: res.locals['requestId'], locator: hash, mounts: restored });
    res.type('text/plain').status(200).send(`Successfully untrashed on: ${restored.join(', ')}\n`);
  });
  return router;
}
