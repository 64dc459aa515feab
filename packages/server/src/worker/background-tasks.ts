import type { JobContext } from '../worklist/job-executor.js';
import { describeError } from '../log/logger.js';
import { batches } from '../volume/batches.js';
import { skipWhileRunning } from './skip-while-running.js';

const TEMP_FILE_MAX_AGE_MS = 60 * 60 * 1000; // a live write touches its temp file far more often
const FIRST_SWEEP_DELAY_MS = 60_000; // first trash sweep after start (1 min)
/** Hashes named per sweep log line. */
const SWEEP_LOG_BATCH = 100;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Periodic housekeeping for the volumes this worker sweeps (exactly one worker per volume, so
 * two processes never sweep the same volume): delete trash past its deadline every
 * blobTrashCheckInterval, and what writes abandoned by a crashed process left (temp files).
 */
export function startBackgroundTasks(ctx: JobContext, sweeps: readonly string[]): { stop(): void } {
  const volumes = sweeps.flatMap((uuid) => {
    const v = ctx.volumes.get(uuid);
    return v && !v.readOnly ? [v] : [];
  });
  if (volumes.length === 0) return { stop: () => undefined };

  // A sweep slower than its interval must not overlap the next one (see skipWhileRunning).
  const sweepTrash = skipWhileRunning(async () => {
    for (const volume of volumes) {
      try {
        // Name every deleted block (the audit trail of what is gone for good), a bounded batch
        // per line, as they are deleted: a sweep of millions never holds them all in memory.
        for await (const batch of batches(volume.emptyTrash(Math.floor(Date.now() / 1000)), SWEEP_LOG_BATCH)) {
          ctx.log.info('trash sweep deleted expired blocks', {
            mount: volume.uuid,
            count: batch.length,
            locators: batch.map((d) => d.hash),
          });
        }
      } catch (err) {
        ctx.log.warn('trash sweep failed', { mount: volume.uuid, error: describeError(err) });
      }
    }
  });
  const sweepTemp = skipWhileRunning(async () => {
    for (const volume of volumes) {
      try {
        const removed = await volume.removeAbandonedWrites(TEMP_FILE_MAX_AGE_MS);
        if (removed > 0) ctx.log.info('removed stale temp files', { mount: volume.uuid, count: removed });
      } catch (err) {
        ctx.log.warn('temp file sweep failed', { mount: volume.uuid, error: describeError(err) });
      }
    }
  });
  // A blobTrashCheckInterval of 0 turns the trash sweep off (as in Arvados).
  const timers = [setInterval(() => void sweepTemp(), TEMP_FILE_MAX_AGE_MS / 4)];
  // setInterval turns a delay beyond 2^31-1 ms (~24.8 days) into 1 ms: cap it instead.
  const sweepEvery = Math.min(ctx.config.blobTrashCheckInterval, MAX_TIMER_MS);
  const timeouts: NodeJS.Timeout[] = [];
  if (sweepEvery > 0) {
    timers.push(setInterval(() => void sweepTrash(), sweepEvery));
    // Also sweep soon after start: a server restarted more often than the interval would never sweep.
    timeouts.push(setTimeout(() => void sweepTrash(), Math.min(sweepEvery, FIRST_SWEEP_DELAY_MS)));
  }
  for (const t of [...timers, ...timeouts]) t.unref();
  return {
    stop: () => {
      timers.forEach(clearInterval);
      timeouts.forEach(clearTimeout);
    },
  };
}
