import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestError, FullError, HashCollisionError, HashMismatchError, KeepError, NotFoundError } from '../errors.js';
import type { DirectoryVolume } from './directory-volume.js';
import { HashingMeter } from './hashing-meter.js';
import type { PendingWrite } from './types.js';
import type { StoreResult } from './volume-set.js';

/**
 * Writing one block (client PUT or pull), in this order:
 * 1. open a temp file on the first target that accepts it (nothing has been read from the
 *    source yet, so a vanished or full volume falls through to the next one);
 * 2. stream source -> HashingMeter -> temp file with pipeline(): MD5 and size are computed
 *    once, on the fly; over MAX_BLOCK_SIZE fails at once with TooLargeError;
 * 3. check MD5 (HashMismatchError) and size (BadRequestError);
 * 4. a writable volume that already has the block: same bytes -> touch it instead of storing a
 *    second copy; different bytes -> HashCollisionError;
 * 5. otherwise fsync + rename the temp file into place.
 * Whatever fails, the temp file is removed (finally), so a cut-off body never becomes a block.
 *
 * Memory per transfer is bounded by the stream buffers, not the block size: the source's own
 * buffer (16 KiB for an HTTP request, plus socket chunks of up to 64 KiB), HashingMeter 2 x
 * 64 KiB, FileSink 256 KiB plus a 1 MiB write batch: about 1.5 MiB, whatever the block size.
 * The collision check reads 2 x 256 KiB at a time.
 */
export interface StoreBlockJob {
  hash: string;
  source: Readable;
  /** Volumes to write to, best first (writable, with room). Not empty. */
  targets: DirectoryVolume[];
  /** Writable volumes, in rendezvous order, that may already hold the block. */
  existing: DirectoryVolume[];
  expectedSize: number | null;
  maxBytes: number;
  signal?: AbortSignal;
}

export async function storeBlock(job: StoreBlockJob): Promise<StoreResult> {
  const { volume, pending } = await beginOnFirst(job.hash, job.targets);
  try {
    const meter = new HashingMeter({ maxBytes: job.maxBytes });
    // Errors: the source's own (client gone, abort) pass through unchanged; the meter's are
    // TooLargeError; the sink's are already Full/WriteFailed (ENOSPC mid-write is FullError:
    // the stream cannot be replayed on another volume).
    await pipeline(job.source, meter, pending.stream, { signal: job.signal });
    verify(job, meter);
    const touched = await touchExisting(job.hash, job.existing, pending.path);
    if (touched) return touched;
    const stat = await pending.commit();
    return { volume, stat, touchedExisting: false };
  } finally {
    await pending.discard().catch(() => undefined); // no-op after commit
  }
}

/** Opens a temp file on the first target that accepts one; throws the most telling error. */
async function beginOnFirst(
  hash: string,
  targets: DirectoryVolume[],
): Promise<{ volume: DirectoryVolume; pending: PendingWrite }> {
  let failure: KeepError | null = null;
  for (const volume of targets) {
    try {
      return { volume, pending: await volume.beginWrite(hash) };
    } catch (err) {
      if (!(err instanceof KeepError)) throw err;
      // Prefer a real failure (503) over "full" (507) when both happened.
      if (failure === null || failure instanceof FullError) failure = err;
    }
  }
  throw failure ?? new FullError();
}

/** Size first: a cut-off body then reads as "size mismatch", not as a misleading wrong hash. */
function verify(job: StoreBlockJob, meter: HashingMeter): void {
  if (job.expectedSize !== null && meter.bytes !== job.expectedSize) {
    throw new BadRequestError(`size mismatch: expected ${job.expectedSize}, got ${meter.bytes}`);
  }
  if (meter.digestHex() !== job.hash) throw new HashMismatchError();
}

/**
 * Looks for a stored copy on the writable volumes: the first identical one is touched and
 * returned. A copy with other bytes under the same hash is a collision (or a corrupt copy)
 * and refuses the write rather than hiding it.
 */
async function touchExisting(
  hash: string,
  volumes: DirectoryVolume[],
  tempPath: string,
): Promise<StoreResult | null> {
  for (const volume of volumes) {
    try {
      if (!(await volume.stat(hash))) continue;
      if (!(await volume.sameContent(hash, tempPath))) throw new HashCollisionError();
      const stat = await volume.touch(hash);
      return { volume, stat, touchedExisting: true };
    } catch (err) {
      if (err instanceof NotFoundError) continue; // trashed meanwhile: not a copy any more
      if (err instanceof KeepError) throw err;
      continue; // an unreadable volume does not stop the write (the new copy goes elsewhere)
    }
  }
  return null;
}
