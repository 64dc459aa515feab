import type { Readable, Writable } from 'node:stream';

/**
 * The one interface between keepstore and a place that stores blocks. Every route, the pull
 * and trash executors, the primary's free-space view, the heartbeat and the metrics talk to
 * volumes through this and nothing else; a driver (directory, s3, ...) lives in a folder of its
 * own under `volume/` and is built by `createVolume` from its config entry.
 *
 * Rules every driver follows:
 * - `hash` arguments are block hashes (32 lowercase hex digits); anything else is rejected with
 *   InvalidLocatorError before any I/O (it may end up in a path or an object key).
 * - Errors are KeepErrors from `errors.ts` when they have a meaning the client sees:
 *   NotFoundError (404, the block or trash copy is not there), FullError (507, no space),
 *   WriteFailedError (503, the storage failed or refused a write), InvalidLocatorError (400).
 *   Anything else (an errno error from a read, a network error) is reported as is and the
 *   caller decides (a lookup skips that volume; the error middleware answers 500/503).
 *   Error messages name the volume uuid and the hash, never a path, a URL with credentials
 *   or a key: they reach HTTP responses and logs.
 * - A read-only volume is read, stat'ed, verified and indexed, never written, touched or
 *   trashed: `beginWrite`, `touch`, `trashIf` and `untrash` throw WriteFailedError('volume is
 *   read-only') without touching the storage; `emptyTrash` yields nothing and
 *   `removeAbandonedWrites` returns 0.
 * - mtimes are nanoseconds since the epoch (bigint) of the block's last write or touch, the
 *   value `/index` reports and trash lists quote back in `block_mtime`: a driver reports the
 *   same value for the same copy every time (stat, openRead, index, the trash guard), at
 *   whatever precision its storage keeps (a filesystem's ns, an object store's whole seconds).
 * - Safe to use from several processes at once (every worker opens every volume): a reader
 *   never sees part of a block, and two concurrent writes of one block leave one whole copy.
 */
export interface Volume {
  /** Arvados volume uuid (`zzzzz-nyw5e-…`): the mount uuid in `/mounts`, logs and metrics. */
  readonly uuid: string;
  /** The config's `driver` ("directory", "s3", …). */
  readonly driver: string;
  /** See the interface comment: never written, touched or trashed. */
  readonly readOnly: boolean;
  /** Replication the underlying storage provides (reported in `X-Keep-Replicas-Stored`). */
  readonly replication: number;
  readonly storageClasses: readonly string[];
  /** Highest priority among the volume's storage classes: the first key of rendezvous order. */
  readonly priority: number;
  /**
   * Names the storage behind the volume in `/mounts` and `/status.json` (`directory:/abs/root`,
   * `s3://ENDPOINT/BUCKET`): two volumes on one device show the same id. No credentials.
   */
  readonly deviceId: string;

  /**
   * Start-up check, run by the primary before any worker starts and by each worker before it
   * serves: creates what a writable volume needs (a directory root, never a bucket) and proves
   * the storage is reachable and usable. Throws an Error whose message names the volume uuid
   * and what is wrong ("volume U: root /x is not a directory", "volume U: bucket b: access
   * denied"); the server refuses to start with it.
   */
  init(): Promise<void>;

  /** Size and mtime of the stored block; null when it is not on this volume. */
  stat(hash: string): Promise<BlockStat | null>;

  /**
   * Opens the stored block for reading: NotFoundError when absent. `size` and `mtimeNs`
   * describe exactly the bytes the stream delivers, even if the block is replaced or trashed
   * meanwhile. The stream is NOT verified here (the caller hashes it): it may end early or
   * fail with the storage's error. The caller consumes or destroys it (that frees the handle).
   */
  openRead(hash: string): Promise<BlockReader>;

  /**
   * Reads a whole small block (`size` at most WHOLE_READ_MAX_BYTES: the locator's size hint)
   * into memory in as few storage operations as the driver can (directory: open, one read,
   * close; no stat): 'absent' when it is not on this volume, 'other-size' when the stored copy
   * is not `size` bytes long (nothing is held then). The bytes are NOT verified here. The
   * caller must call `release()` once it is done with the block.
   */
  readWhole(hash: string, size: number): Promise<WholeBlock | 'absent' | 'other-size'>;

  /**
   * Starts storing a block: nothing is visible under `hash` until `commit()`. Throws before
   * any byte is accepted when the volume cannot take the write (FullError when it knows it is
   * full, WriteFailedError otherwise, e.g. read-only or storage gone), so the caller can try
   * another volume with the stream still unread.
   */
  beginWrite(hash: string): Promise<PendingWrite>;

  /**
   * Reads the stored copy through MD5 (streamed, bounded memory) and says whether it still
   * hashes to its name: `intact`, `corrupt` (readable, other bytes), or `missing` (not on this
   * volume). Read errors are thrown, not reported as corrupt: a failing disk is not a wrong
   * block. Costs a full read of the block; callers use it where that beats the alternative
   * (a pull checks this instead of fetching the block again from a peer).
   */
  verifyStored(hash: string): Promise<StoredCopyState>;

  /**
   * Sets the block's mtime to now (it is in use: not garbage yet) and returns its new stat.
   * NotFoundError when absent; WriteFailedError on a read-only volume or a failed update.
   */
  touch(hash: string): Promise<BlockStat>;

  /**
   * Bytes a write could still use, as the storage reports it right now; null when the storage
   * has no such figure (an object store): never a guess. Throws when the figure exists but
   * cannot be read (statfs failed), so the failure is counted; callers read it through
   * freeBytesOrNull() and treat both as "unknown" (room for routing, 0 in the free-bytes gauge).
   */
  availableBytes(): Promise<number | null>;

  /**
   * Stored blocks whose hash starts with `prefix` (0 to 32 hex digits; InvalidLocatorError
   * otherwise), in any order, each once. Streams: memory must not grow with the number of
   * blocks. Trash copies and unfinished writes are not blocks and are never listed.
   */
  index(prefix: string): AsyncIterable<IndexEntry>;

  /**
   * Moves the block to trash until `nowSeconds + lifetimeSeconds` (lifetime 0: deletes it) if
   * and only if `guard` accepts the copy (returns null). The guard must be judged on the very
   * copy that is moved: a touch or PUT racing the trash must not be lost (check again after
   * the move and put it back, or use the storage's conditional operations). Returns null when
   * trashed, else the guard's reason. NotFoundError when there is no copy.
   */
  trashIf(hash: string, guard: TrashGuard, lifetimeSeconds: number, nowSeconds: number): Promise<string | null>;

  /**
   * Restores the newest trash copy under the block's name (replacing a copy stored meanwhile:
   * same hash, same bytes). NotFoundError when there is no trash copy.
   */
  untrash(hash: string): Promise<void>;

  /**
   * Deletes every trash copy whose deadline is <= `nowSeconds`, yielding each one as it is
   * deleted (a volume may hold millions: nothing is collected in memory). A copy another
   * process deleted first is skipped silently.
   */
  emptyTrash(nowSeconds: number): AsyncIterable<TrashEntry>;

  /**
   * Periodic maintenance: removes what writes abandoned by a crashed process left behind
   * (temp files, unfinished multipart uploads) when older than `olderThanMs`; 0 removes all
   * of them and is only called at start, when no write can be in progress. Returns how many
   * it removed. A driver with nothing to clean returns 0.
   */
  removeAbandonedWrites(olderThanMs: number): Promise<number>;
}

/** What a volume knows about a stored block. */
export interface BlockStat {
  /** Bytes. */
  size: number;
  /** Last write or touch, in nanoseconds since the epoch (see the Volume rules). */
  mtimeNs: bigint;
}

/** One line of a volume index. */
export interface IndexEntry extends BlockStat {
  hash: string;
}

/** A trash copy deleted by `emptyTrash`. */
export interface TrashEntry {
  hash: string;
  /** Unix seconds after which the copy could be deleted. */
  deadline: number;
}

/** An open stored block (see `Volume.openRead`). */
export interface BlockReader extends BlockStat {
  stream: Readable;
}

/** Largest block `Volume.readWhole` reads: it is held in memory whole (a GET's memory bound). */
export const WHOLE_READ_MAX_BYTES = 1024 * 1024; // 1 MiB

/** A block read whole by `Volume.readWhole`: exactly `size` stored bytes, not verified. */
export interface WholeBlock {
  readonly data: Buffer;
  /**
   * The mtime of the very copy read (see BlockStat.mtimeNs), even if it has been replaced since:
   * asked only when needed (a corrupt copy is trashed only if it is still that copy).
   */
  mtimeNs(): Promise<bigint>;
  /** Frees what the read still holds (a file descriptor); never throws. */
  release(): Promise<void>;
}

/** The outcome of `Volume.verifyStored`. */
export type StoredCopyState = 'intact' | 'corrupt' | 'missing';

/** The trash policy applied to a stored copy: null to trash it, else the reason to keep it. */
export type TrashGuard = (stat: BlockStat) => string | null;

/**
 * A block being written (see `Volume.beginWrite`). The caller streams the bytes into `stream`,
 * checks MD5 and size itself, and only then calls `commit()`; on any failure it calls
 * `discard()`. Exactly one of them ends the write; `discard()` is idempotent and a no-op after
 * `commit()`, so callers can always discard in `finally`.
 */
export interface PendingWrite {
  /**
   * Write the block bytes here. Errors it emits are already KeepErrors: FullError when the
   * storage runs out of space mid-write (507), WriteFailedError for any other failure.
   */
  readonly stream: Writable;
  /**
   * Call only after `stream` has finished and the bytes were verified. Makes the block durable
   * and visible under its hash in one step (a reader sees the old state or the whole block),
   * replacing any copy already stored there, and returns the stored block's stat. Throws
   * FullError / WriteFailedError when that fails (then nothing new is visible).
   */
  commit(): Promise<BlockStat>;
  /** Abandons the write and frees what it holds; never throws for something already gone. */
  discard(): Promise<void>;
}
