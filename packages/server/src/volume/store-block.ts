import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BadRequestError,
  FullError,
  HashCollisionError,
  HashMismatchError,
  InvalidLocatorError,
  KeepError,
  NotFoundError,
} from '../errors.js';
import { StoredCopyComparer } from './copy-comparer.js';
import { HashingMeter } from './hashing-meter.js';
import type { BlockStat, PendingWrite, Volume } from './volume.js';

export interface StoreResult {
  /** The volume that now holds the block. */
  volume: Volume;
  stat: BlockStat;
  /** True when an identical copy was already stored and only touched. */
  touchedExisting: boolean;
  /**
   * A stored copy found corrupt (not hashing to its name) during the write; `replaced` when the
   * new copy took its place (same volume), else it is still there and the new copy is elsewhere.
   */
  corruptCopy: { volume: Volume; replaced: boolean } | null;
}

/**
 * Writing one block (client PUT or pull), in this order:
 * 1. open the copy already stored on the first writable volume that has one (rendezvous
 *    order), if any: it is compared with the new bytes as they arrive;
 * 2. begin a write on the first target that accepts it, the volume of that stored copy first
 *    (so a corrupt copy is replaced in place); nothing has been read from the source yet, so a
 *    vanished or full volume falls through to the next one;
 * 3. stream source -> HashingMeter -> [StoredCopyComparer] -> pending write with pipeline():
 *    MD5 and size are computed once, on the fly; a byte beyond the expected size fails at
 *    once ("size mismatch: expected N, got more": an endless body is not read on), over
 *    MAX_BLOCK_SIZE with TooLargeError;
 * 4. check MD5 (HashMismatchError) and size (BadRequestError);
 * 5. next to a stored copy: identical -> touch it instead of storing a second copy; a real
 *    collision (it hashes to its name, other bytes) -> HashCollisionError; corrupt (it does not
 *    hash to its name) or unreadable -> store the verified new bytes (reported in the result);
 * 6. otherwise commit the write.
 * Whatever fails, the write is discarded (finally), so a cut-off body never becomes a block.
 *
 * Memory per transfer is bounded by the stream buffers, not the block size: the source's own
 * buffer (16 KiB for an HTTP request, plus socket chunks of up to 64 KiB), HashingMeter 2 x
 * 64 KiB, the driver's write buffers (directory: 256 KiB plus a 1 MiB write batch), and next
 * to a stored copy one read chunk of it (directory: 1 MiB).
 */
export interface StoreBlockJob {
  hash: string;
  source: Readable;
  /** Volumes to write to, best first (writable, with room). Not empty. */
  targets: Volume[];
  /** Writable volumes, in rendezvous order, that may already hold the block. */
  existing: Volume[];
  expectedSize: number | null;
  maxBytes: number;
  signal?: AbortSignal;
}

export async function storeBlock(job: StoreBlockJob): Promise<StoreResult> {
  const stored = await openStoredCopy(job.hash, job.existing);
  try {
    const targets =
      stored && job.targets.includes(stored.volume) ? [stored.volume, ...job.targets.filter((v) => v !== stored.volume)] : job.targets;
    const { volume, pending } = await beginOnFirst(job.hash, targets);
    try {
      const meter = new HashingMeter(meterLimit(job));
      const comparer = stored && new StoredCopyComparer(job.hash, stored.stream);
      // Errors: the source's own (client gone, abort) pass through unchanged; the meter's are
      // TooLarge/BadRequest; the sink's are already Full/WriteFailed (ENOSPC mid-write is
      // FullError: the stream cannot be replayed on another volume).
      const stages = comparer ? ([meter, comparer, pending.stream] as const) : ([meter, pending.stream] as const);
      await pipeline([job.source, ...stages], { signal: job.signal });
      verify(job, meter);
      const verdict = comparer?.verdict ?? null;
      if (stored && verdict === 'identical') {
        const touched = await touchIdentical(job.hash, stored.volume);
        if (touched) return touched;
      }
      if (verdict === 'collision') throw new HashCollisionError();
      const stat = await pending.commit();
      const corruptCopy = stored && verdict === 'corrupt' ? { volume: stored.volume, replaced: stored.volume === volume } : null;
      return { volume, stat, touchedExisting: false, corruptCopy };
    } finally {
      await pending.discard().catch(() => undefined); // no-op after commit
    }
  } finally {
    stored?.stream.destroy();
  }
}

/** An expected size bounds the body: the first chunk past it fails, so an endless body is not read on. */
function meterLimit(job: StoreBlockJob): { maxBytes: number; tooMany?: () => KeepError } {
  if (job.expectedSize === null || job.expectedSize > job.maxBytes) return { maxBytes: job.maxBytes };
  const expected = job.expectedSize;
  return { maxBytes: expected, tooMany: () => new BadRequestError(`size mismatch: expected ${expected}, got more`) };
}

/**
 * The stored copy on the first writable volume that has one, opened for the comparison. A
 * volume that fails to open it is passed over: the new copy can still be written elsewhere.
 */
async function openStoredCopy(hash: string, volumes: Volume[]): Promise<{ volume: Volume; stream: Readable } | null> {
  for (const volume of volumes) {
    try {
      if (!(await volume.stat(hash))) continue; // the usual case: a stat, no open
      const { stream } = await volume.openRead(hash);
      return { volume, stream };
    } catch (err) {
      if (err instanceof InvalidLocatorError) throw err; // an unreachable volume is passed over
    }
  }
  return null;
}

/** Opens a write on the first target that accepts one; throws the most telling error. */
async function beginOnFirst(hash: string, targets: Volume[]): Promise<{ volume: Volume; pending: PendingWrite }> {
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

/** Touches the identical stored copy; null when it was trashed meanwhile (then ours is committed). */
async function touchIdentical(hash: string, volume: Volume): Promise<StoreResult | null> {
  try {
    const stat = await volume.touch(hash);
    return { volume, stat, touchedExisting: true, corruptCopy: null };
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}
