import type { Writable } from 'node:stream';
import type { KeepError } from '../errors.js';

/** Configuration of one directory volume, as validated by the config loader. */
export interface VolumeSpec {
  /** Arvados volume uuid, e.g. `zzzzz-nyw5e-000000000000000`. */
  uuid: string;
  /** Directory that holds the `HASH[0:3]/` subdirectories. */
  root: string;
  /** A read-only volume is read and indexed, never written, touched or trashed. */
  readOnly: boolean;
  /** Replication the underlying storage provides (reported in `X-Keep-Replicas-Stored`). */
  replication: number;
  storageClasses: string[];
  /** Highest priority of the volume's storage classes (0 by default): rendezvous order key. */
  priority: number;
}

/** What a volume knows about a stored block. */
export interface BlockStat {
  /** Bytes. */
  size: number;
  /** Modification time in nanoseconds since the epoch, exactly as the filesystem reports it. */
  mtimeNs: bigint;
}

/** One line of a volume index. */
export interface IndexEntry extends BlockStat {
  hash: string;
}

/** A trash copy removed by `emptyTrash`. */
export interface TrashEntry {
  hash: string;
  /** Unix seconds after which the copy could be deleted. */
  deadline: number;
}

/**
 * A block being written to a temp file next to its final name. Exactly one of `commit` or
 * `discard` ends it; `discard` after `commit` is a no-op, so callers can always discard in
 * `finally`.
 */
export interface PendingWrite {
  /** The temp file (under the block's `HASH[0:3]` directory). */
  readonly path: string;
  /** Write the block bytes here; errors it emits are already KeepErrors (Full / WriteFailed). */
  readonly stream: Writable;
  /** fsync, close, rename into place, fsync the directory; returns the stored block's stat. */
  commit(): Promise<BlockStat>;
  /** Close and unlink the temp file. Idempotent; never throws for a file already gone. */
  discard(): Promise<void>;
}

/** Maps a filesystem error raised while writing to the KeepError to report. */
export type WriteErrorMapper = (err: unknown) => KeepError;
