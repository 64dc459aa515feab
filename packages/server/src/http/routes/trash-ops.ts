import { Router } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../../errors.js';
import { describeError } from '../../log/logger.js';
import { trashRefusal } from '../../trash/trash-rules.js';
import { requireToken } from '../middleware/auth.js';
import type { AppContext } from '../app-context.js';
import { locatorParam } from './blocks.js';

/**
 * DELETE /LOCATOR (trash every copy older than blobSigningTTL) and PUT /untrash/LOCATOR,
 * admin only, on every writable (trash-allowed) volume.
 */
export function trashOpsRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = requireToken(ctx.config.systemRootToken);

  router.delete('/:locator', admin, async (req, res) => {
    if (!ctx.config.blobTrash) throw new MethodNotAllowedError('trash is disabled on this server');
    const { hash } = locatorParam(req);
    const now = Date.now();
    // DELETE names no mtime: any copy old enough goes, checked on the copy moved (trashIf).
    const guard = (stat: { mtimeNs: bigint }) => trashRefusal(stat.mtimeNs, null, now, ctx.config.blobSigningTTL);
    let deleted = 0;
    let failed = 0;
    for (const volume of ctx.volumes.list) {
      if (volume.readOnly) continue;
      try {
        if ((await volume.trashIf(hash, guard, ctx.config.blobTrashLifetime / 1000, Math.floor(now / 1000))) !== null) continue;
        deleted++;
        ctx.log.info('block trashed', { requestId: res.locals['requestId'], locator: hash, mount: volume.uuid });
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        failed++;
        ctx.log.warn('trash failed', { requestId: res.locals['requestId'], locator: hash, mount: volume.uuid, error: describeError(err) });
      }
    }
    if (deleted === 0 && failed === 0) throw new NotFoundError();
    res.status(200).json({ copies_deleted: deleted, copies_failed: failed });
  });

  router.put('/untrash/:locator', admin, async (req, res) => {
    const { hash } = locatorParam(req);
    const restored: string[] = [];
    let failure: unknown = null;
    for (const volume of ctx.volumes.list) {
      if (volume.readOnly) continue;
      try {
        await volume.untrash(hash);
        restored.push(volume.uuid);
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        failure ??= err;
        ctx.log.warn('untrash failed', {
          requestId: res.locals['requestId'],
          locator: hash,
          mount: volume.uuid,
          error: describeError(err),
        });
      }
    }
    // As in Arvados: 404 only when no volume had it; a volume that failed (the volume maps
    // that to a KeepError, 503) is an error, not "not in trash".
    if (restored.length === 0) throw failure ?? new NotFoundError();
    ctx.log.info('block untrashed', { requestId: res.locals['requestId'], locator: hash, mounts: restored });
    res
      .type('text/plain')
      .status(200)
      .send(`Successfully untrashed on: ${restored.join(', ')}\n`);
  });
  return router;
}
