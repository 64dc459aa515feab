import { NotFoundError } from '../../errors.js';
import type { BlockStat, TrashEntry, TrashGuard } from '../volume.js';
import type { ObjectStat, S3Bucket } from './s3-bucket.js';
import { TRASH_PREFIX, type S3Keys } from './s3-keys.js';
import { s3TimeNs } from './s3-listing.js';

/** The cluster timings the trash rules depend on (ms). */
export interface S3TrashPolicy {
  /** A block touched less than this long ago may still be referenced by a signed locator. */
  blobSigningTTL: number;
  /** How long a trash copy is kept. */
  blobTrashLifetime: number;
  /** How long an S3 write may take to become visible to every reader (eventual consistency). */
  raceWindow: number;
  /** With blobTrashLifetime 0, delete blocks outright (no trash copy to undo a mistake). */
  unsafeDelete: boolean;
}

/**
 * Metadata of our trash copies: their deadline (unix seconds), so each keeps the lifetime it
 * was trashed with. A copy without it (trashed by Arvados) expires at its LastModified +
 * blobTrashLifetime, as Arvados reckons.
 */
const DEADLINE_META = 'keep-trash-deadline';

/** The refusal returned when trash is disabled (lifetime 0 without unsafeDelete), as Arvados. */
export const TRASH_DISABLED = 'trash is disabled: blobTrashLifetime is 0 and unsafeDelete is false';

/**
 * The trash side of an S3 volume, with Arvados' race rules. S3 has no rename: trash is a copy
 * to `trash/KEY` then a delete of KEY, and a PUT or touch (which rewrites `recent/KEY`) can run
 * between the two on another server. The rules, all from the timestamps in the bucket:
 * - trash/KEY younger than blobSigningTTL after recent/KEY means the block was trashed while
 *   still in use: a race. fixRace() copies it back (on a read, a touch, or the sweep).
 * - a trash copy is not overwritten by a new trash of the same block once its deadline is
 *   within raceWindow: the sweep may already be deleting it, and a new copy's timestamp might
 *   not be visible to it yet.
 * - the sweep deletes trash/KEY only when its lifetime is over and no race is suspected.
 */
export class S3Trash {
  constructor(
    private readonly bucket: S3Bucket,
    private readonly keys: S3Keys,
    private readonly policy: S3TrashPolicy,
  ) {}

  /** The block's size and mtime for the guard; creates a missing recent/ marker (as Arvados). */
  async statForTrash(hash: string): Promise<BlockStat> {
    const block = await this.bucket.head(this.keys.block(hash));
    if (!block) throw new NotFoundError();
    let marker = await this.bucket.head(this.keys.recent(hash));
    if (!marker) {
      // A block written by an older keepstore without markers: give it one now. That makes it
      // young, so it is kept for another blobSigningTTL, which is the safe side.
      await this.bucket.putEmpty(this.keys.recent(hash));
      marker = await this.bucket.head(this.keys.recent(hash));
      if (!marker) throw new NotFoundError();
    }
    return { size: block.size, mtimeNs: s3TimeNs(marker.lastModified) };
  }

  /** Lifetime 0 (blobTrashLifetime 0) deletes at once, and only with unsafeDelete (as Arvados). */
  async trashIf(hash: string, guard: TrashGuard, lifetimeSeconds: number, nowSeconds: number): Promise<string | null> {
    const key = this.keys.block(hash);
    const before = guard(await this.statForTrash(hash));
    if (before !== null) return before;
    if (lifetimeSeconds <= 0) {
      if (!this.policy.unsafeDelete) return TRASH_DISABLED;
      await this.bucket.delete(key);
      return null;
    }
    const window = await this.raceWindowRefusal(hash, nowSeconds);
    if (window !== null) return window;
    const deadline = String(Math.floor(nowSeconds + lifetimeSeconds));
    await this.bucket.copy(this.keys.trash(hash), key, { [DEADLINE_META]: deadline });
    await this.bucket.delete(key);
    // A touch between our check and the delete rewrote recent/KEY: judge the copy again with
    // it, and put the block back at once if it is in use after all.
    const after = guard(await this.#trashedStat(hash));
    if (after === null) return null;
    await this.bucket.copy(key, this.keys.trash(hash));
    return `${after} (changed while being trashed)`;
  }

  /** Copies trash/KEY back to KEY, rewrites the marker, then drops the trash copy. */
  async untrash(hash: string): Promise<void> {
    await this.bucket.copy(this.keys.block(hash), this.keys.trash(hash));
    await this.bucket.putEmpty(this.keys.recent(hash));
    await this.bucket.delete(this.keys.trash(hash));
  }

  /**
   * Called when KEY is missing: if trash/KEY was made less than blobSigningTTL after the last
   * write or touch (recent/KEY), the block was trashed while in use; copy it back. True if so.
   */
  async fixRace(hash: string): Promise<boolean> {
    const [trash, marker] = await Promise.all([this.bucket.head(this.keys.trash(hash)), this.bucket.head(this.keys.recent(hash))]);
    if (!trash || !marker) return false;
    if (trash.lastModified.getTime() - marker.lastModified.getTime() >= this.policy.blobSigningTTL) return false;
    await this.bucket.copy(this.keys.block(hash), this.keys.trash(hash));
    return true;
  }

  /** Deletes the trash copies whose lifetime is over, applying the race rules to each. */
  async *emptyTrash(nowSeconds: number): AsyncGenerator<TrashEntry> {
    for await (const obj of this.bucket.list(TRASH_PREFIX)) {
      const hash = this.keys.hashOf(obj.key.slice(TRASH_PREFIX.length));
      if (hash === null) continue;
      const deadline = await this.#sweepOne(hash, nowSeconds);
      if (deadline !== null) yield { hash, deadline };
    }
  }

  /** One trash copy in the sweep; its deadline if it was deleted, else null. */
  async #sweepOne(hash: string, nowSeconds: number): Promise<number | null> {
    const { blobSigningTTL, raceWindow } = this.policy;
    const nowMs = nowSeconds * 1000;
    const [trash, marker, block] = await Promise.all([
      this.bucket.head(this.keys.trash(hash)),
      this.bucket.head(this.keys.recent(hash)),
      this.bucket.head(this.keys.block(hash)),
    ]);
    if (!trash) return null; // another sweep got there first
    if (!marker) {
      // Trash without a marker (an older layout): restore rather than lose it.
      await this.untrash(hash);
      return null;
    }
    const trashedMs = trash.lastModified.getTime();
    const touchedMs = marker.lastModified.getTime();
    if (trashedMs - touchedMs < blobSigningTTL) {
      if (nowMs - touchedMs >= blobSigningTTL - raceWindow) {
        // The marker is about to stop protecting the block: restore it and renew the marker.
        if (await this.fixRace(hash)) await this.bucket.putEmpty(this.keys.recent(hash));
        return null;
      }
      if (!block) {
        await this.fixRace(hash);
        return null;
      }
    }
    const deadline = this.#deadline(trash);
    if (deadline > nowSeconds) return null;
    await this.bucket.delete(this.keys.trash(hash));
    // The marker goes with the last copy; a block written again since keeps its marker.
    if (!block) await this.bucket.delete(this.keys.recent(hash));
    return deadline;
  }

  /** Unix seconds when a trash copy may go. */
  #deadline(trash: ObjectStat): number {
    const own = Number(trash.metadata[DEADLINE_META]);
    if (Number.isSafeInteger(own) && own > 0) return own;
    return Math.floor((trash.lastModified.getTime() + this.policy.blobTrashLifetime) / 1000);
  }

  /** The guard's view of a copy just moved to trash: its size, the marker's time. */
  async #trashedStat(hash: string): Promise<BlockStat> {
    const [trash, marker] = await Promise.all([this.bucket.head(this.keys.trash(hash)), this.bucket.head(this.keys.recent(hash))]);
    if (!trash || !marker) throw new NotFoundError();
    return { size: trash.size, mtimeNs: s3TimeNs(marker.lastModified) };
  }

  /** Refusal while trash/KEY exists and its deadline falls within raceWindow from now. */
  async raceWindowRefusal(hash: string, nowSeconds: number): Promise<string | null> {
    const trash = await this.bucket.head(this.keys.trash(hash));
    if (!trash) return null;
    const safeMs = this.#deadline(trash) * 1000 - (nowSeconds * 1000 + this.policy.raceWindow);
    return safeMs > 0 ? null : 'block is already in trash and its deletion may be under way (raceWindow)';
  }
}
