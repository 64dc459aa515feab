import type { KeepstoreConfig } from '../config/config.js';
import { describeError, type Logger } from '../log/logger.js';
import type { Volume } from '../volume/volume.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Where a corrupt copy is reported (a worker's context, or a test's). */
export interface CorruptCopyReporter {
  readonly log: Logger;
  readonly metrics?: Pick<WorkerMetrics, 'countCorruptCopy'>;
}

/** What happened to a corrupt copy once found (the `action` of the log line). */
type CorruptCopyAction = 'replaced' | 'trashed' | 'left in place' | 'pulling a good copy';

/**
 * The one report of a stored copy found corrupt (its bytes do not hash to its name): one log
 * line `stored block is corrupt` naming mount and locator (hash only: never a signature), how
 * it was found and what was done, and keepstore_volume_corrupt_blocks_total{mount}.
 */
export function reportCorruptCopy(
  ctx: CorruptCopyReporter,
  mount: string,
  hash: string,
  found: 'GET' | 'PUT' | 'pull',
  action: CorruptCopyAction,
  meta: Record<string, unknown> = {},
): void {
  ctx.log.warn('stored block is corrupt', { ...meta, mount, locator: hash, found, action });
  ctx.metrics?.countCorruptCopy(mount);
}

/**
 * A GET found the copy corrupt: move it to trash (kept for blobTrashLifetime, so an operator
 * can look at it or untrash it) so that `/index` stops listing it and the balancer, seeing a
 * replica missing, pulls a good copy here. Only the very copy that was read (same mtime) is
 * moved: a PUT that replaced it meanwhile keeps its good copy. Read-only volumes and
 * `blobTrash: false` leave it in place; a PUT or pull of the block still replaces it.
 */
export async function trashCorruptCopy(
  ctx: CorruptCopyReporter & { readonly config: Pick<KeepstoreConfig, 'blobTrash' | 'blobTrashLifetime'> },
  volume: Volume,
  hash: string,
  readMtimeNs: bigint,
  meta: Record<string, unknown>,
): Promise<void> {
  let action: CorruptCopyAction = 'left in place';
  if (!volume.readOnly && ctx.config.blobTrash) {
    try {
      const refusal = await volume.trashIf(
        hash,
        (s) => (s.mtimeNs === readMtimeNs ? null : 'replaced since it was read'),
        ctx.config.blobTrashLifetime / 1000,
        Math.floor(Date.now() / 1000),
      );
      if (refusal === null) action = 'trashed';
    } catch (err) {
      ctx.log.warn('cannot trash a corrupt copy', { ...meta, mount: volume.uuid, locator: hash, error: describeError(err) });
    }
  }
  reportCorruptCopy(ctx, volume.uuid, hash, 'GET', action, meta);
}
