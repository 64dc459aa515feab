import { NotFoundError } from '../errors.js';
import { describeError } from '../log/logger.js';
import type { BlockStat } from '../volume/volume.js';
import { locatorHash, type JobSpec, type JobOutcome } from '../worklist/list-wire.js';
import type { JobContext, JobExecutor } from '../worklist/job-executor.js';
import { TRASH_SKIP, trashRefusal } from './trash-rules.js';

type TrashJob = Extract<JobSpec, { kind: 'trash' }>;

/**
 * Carries out one trash-list entry on one volume (Arvados rules): only if the stored copy's
 * mtime equals block_mtime to the nanosecond (the balancer saw exactly this copy) and it is
 * older than blobSigningTTL. block_mtime crossed IPC as a decimal string and is compared as a
 * BigInt with the stat's mtimeNs: a Number would round it to 256 ns. The volume checks the
 * rule again on the copy it moved (Volume.trashIf), so a PUT that touches the block
 * meanwhile keeps it. Every entry that is not carried out is logged with the reason.
 */
export class TrashExecutor implements JobExecutor<'trash'> {
  constructor(private readonly ctx: JobContext) {}

  async run(job: TrashJob): Promise<JobOutcome> {
    const { config, log } = this.ctx;
    const hash = locatorHash(job.locator);
    const meta: Record<string, string> = { locator: job.locator, mount: job.volume, blockMtime: job.blockMtime };
    const volume = this.ctx.volumes.get(job.volume);
    // The primary routed it here with the config it had; a reload may have changed the volume since.
    if (!volume) return this.skip(TRASH_SKIP.noMount, meta);
    if (volume.readOnly) return this.skip(TRASH_SKIP.readOnly, meta);
    const expected = BigInt(job.blockMtime);
    const now = Date.now();
    const seen: { stat?: BlockStat } = {}; // the copy the guard judged last, for the log
    const guard = (stat: BlockStat): string | null => {
      seen.stat = stat;
      return trashRefusal(stat.mtimeNs, expected, now, config.blobSigningTTL);
    };
    try {
      const refusal = await volume.trashIf(hash, guard, config.blobTrashLifetime / 1000, Math.floor(now / 1000));
      if (refusal !== null) return this.skip(refusal, { ...meta, mtime: seen.stat?.mtimeNs.toString() ?? '' });
      log.info(config.blobTrashLifetime === 0 ? 'block deleted' : 'block trashed', meta);
      return { ok: true };
    } catch (err) {
      if (err instanceof NotFoundError) return this.skip(TRASH_SKIP.notFound, meta);
      log.warn('error trashing block', { ...meta, error: describeError(err) });
      return { ok: false, error: describeError(err).message };
    }
  }

  private skip(reason: string, meta: Record<string, string>): JobOutcome {
    this.ctx.log.info(`trash list entry skipped: ${reason}`, meta);
    return { ok: false, error: reason };
  }
}
