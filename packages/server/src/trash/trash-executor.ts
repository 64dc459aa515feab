import { NotFoundError } from '../errors.js';
import type { WorkerContext } from '../http/worker-context.js';
import { describeError } from '../log/logger.js';
import type { JobSpec, JobOutcome } from '../worklist/list-wire.js';
import type { JobExecutor } from '../worker/job-runner.js';
import { isOldEnoughToTrash } from './trash-rules.js';

type TrashJob = Extract<JobSpec, { kind: 'trash' }>;

/**
 * Carries out one trash-list entry on one volume (Arvados rules): only if the stored copy's
 * mtime equals block_mtime to the nanosecond (the balancer saw exactly this copy) and it is
 * older than blobSigningTTL. Otherwise the copy stays and the reason is logged.
 */
export class TrashExecutor implements JobExecutor<'trash'> {
  constructor(private readonly ctx: WorkerContext) {}

  async run(job: TrashJob): Promise<JobOutcome> {
    const { ctx } = this;
    const hash = job.locator.slice(0, 32);
    const meta = { locator: job.locator, mount: job.volume, blockMtime: job.blockMtime };
    const volume = ctx.volumes.get(job.volume);
    if (!volume || volume.readOnly) return this.skip('trash-not-allowed', meta);
    try {
      const stat = await volume.stat(hash);
      if (!stat) return this.skip('block not found on volume', meta);
      if (stat.mtimeNs !== BigInt(job.blockMtime)) return this.skip('block mtime does not match', { ...meta, mtime: stat.mtimeNs.toString() });
      if (!isOldEnoughToTrash(stat.mtimeNs, Date.now(), ctx.config.blobSigningTTL)) return this.skip('block is newer than blobSigningTTL', meta);
      await volume.trash(hash, ctx.config.blobTrashLifetime / 1000, Math.floor(Date.now() / 1000));
      ctx.log.info(ctx.config.blobTrashLifetime === 0 ? 'block deleted' : 'block trashed', meta);
      return { ok: true };
    } catch (err) {
      if (err instanceof NotFoundError) return this.skip('block not found on volume', meta);
      ctx.log.warn('error trashing block', { ...meta, error: describeError(err) });
      return { ok: false, error: describeError(err).message };
    }
  }

  private skip(reason: string, meta: Record<string, string>): JobOutcome {
    this.ctx.log.info(`trash list entry skipped: ${reason}`, meta);
    return { ok: false, error: reason };
  }
}
