import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { type KeepError, NotFoundError, WriteFailedError } from '../../errors.js';
import { batches } from '../batches.js';
import { assertWholeReadSize } from '../read-whole.js';
import { verifyByReading } from '../verify-by-reading.js';
import type { BlockReader, BlockStat, IndexEntry, StoredCopyState, TrashEntry, TrashGuard, Volume, WholeBlock } from '../volume.js';
import { blockDirEntries } from './block-dirs.js';
import type { DirectoryVolumeSpec } from './config.js';
import { emptyTrash, trashBlockIf, untrashBlock } from './directory-trash.js';
import { errnoCode, isMissing, mapWriteError } from './fs-errors.js';
import { assertHash, assertPrefix, blockDir, blockPath, BLOCK_NAME_RE, TEMP_NAME_RE } from './layout.js';
import { DirectoryPendingWrite } from './pending-write.js';

/**
 * Read buffer of a block stream. A GET holds at most about this much in the read stream plus
 * one chunk of this size queued in the HTTP response: ~2 MiB per transfer.
 */
export const READ_HIGH_WATER_MARK = 1024 * 1024; // 1 MiB

/**
 * readWhole's open flags. O_NONBLOCK does nothing to a regular file; it keeps a FIFO someone
 * left under a block's name from blocking a thread-pool thread until a writer appears.
 */
const OPEN_WHOLE_READ = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

/** Index entries stat'ed concurrently: bounds both memory and open requests per index walk. */
const INDEX_STAT_BATCH = 64;

/**
 * A Keep volume stored in a local directory, in the Arvados UnixVolume layout (see layout.ts).
 * Safe to use from several processes at once: every write goes through a private temp file
 * and an atomic rename, and every reader opens the file before it stats it.
 */
export class DirectoryVolume implements Volume {
  readonly driver = 'directory';
  readonly uuid: string;
  readonly root: string;
  readonly readOnly: boolean;
  readonly replication: number;
  readonly storageClasses: readonly string[];
  readonly priority: number;
  /** Identifies the storage behind the volume in `/mounts` (`directory:/abs/root`). */
  readonly deviceId: string;

  constructor(spec: DirectoryVolumeSpec) {
    this.uuid = spec.uuid;
    this.root = path.resolve(spec.root);
    this.readOnly = spec.readOnly;
    this.replication = spec.replication;
    this.storageClasses = [...spec.storageClasses];
    this.priority = spec.priority;
    this.deviceId = `directory:${this.root}`;
  }

  /** Creates the root of a writable volume if needed; throws unless the root is a directory. */
  async init(): Promise<void> {
    if (!this.readOnly) await fs.mkdir(this.root, { recursive: true });
    let st;
    try {
      st = await fs.stat(this.root);
    } catch (err) {
      throw new Error(`volume ${this.uuid}: root ${this.root} is not accessible: ${String(err)}`);
    }
    if (!st.isDirectory()) throw new Error(`volume ${this.uuid}: root ${this.root} is not a directory`);
  }

  /**
   * Deletes temp files left by crashed writes whose mtime is older than `olderThanMs`
   * (0: all of them; only safe when no write can be in progress). Returns how many it deleted.
   */
  async removeAbandonedWrites(olderThanMs: number): Promise<number> {
    if (this.readOnly) return 0;
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for await (const [dirPath, name] of blockDirEntries(this.root, '')) {
      if (!TEMP_NAME_RE.test(name)) continue;
      const p = path.join(dirPath, name);
      try {
        if (olderThanMs > 0 && (await fs.lstat(p)).mtimeMs >= cutoff) continue;
        await fs.unlink(p);
        removed++;
      } catch (err) {
        if (!isMissing(err)) throw err; // committed or removed meanwhile
      }
    }
    return removed;
  }

  /** Size and mtime of a stored block; null if it is not on this volume. */
  async stat(hash: string): Promise<BlockStat | null> {
    assertHash(hash);
    try {
      const st = await fs.stat(blockPath(this.root, hash), { bigint: true });
      return st.isFile() ? { size: Number(st.size), mtimeNs: st.mtimeNs } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * Opens a block for reading. The fd is opened first and then fstat'ed, so size and mtime
   * describe exactly the bytes streamed even if the block is replaced or trashed meanwhile.
   * The caller must consume or destroy the stream (that closes the fd).
   */
  async openRead(hash: string): Promise<BlockReader> {
    assertHash(hash);
    let fh;
    try {
      fh = await fs.open(blockPath(this.root, hash), 'r');
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError();
      throw err;
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) throw new NotFoundError();
      const size = Number(st.size);
      // `end` sizes each read to what is left (a 4 KiB block gets a 4 KiB buffer, not 1 MiB)
      // and ends the stream without an extra read that would only find EOF.
      const stream = fh.createReadStream({ highWaterMark: READ_HIGH_WATER_MARK, start: 0, ...(size > 0 ? { end: size - 1 } : {}) });
      return { stream, size, mtimeNs: st.mtimeNs };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * open, one read, and (by the caller's release()) close: three file system calls instead of
   * stat, open, fstat, read and close. The buffer has room for one byte more than `size`, so
   * the read itself tells whether the file holds exactly `size` bytes; the fstat for the mtime
   * is made only when asked (a corrupt copy), on the still open file.
   */
  async readWhole(hash: string, size: number): Promise<WholeBlock | 'absent' | 'other-size'> {
    assertHash(hash);
    assertWholeReadSize(size);
    let fh: FileHandle;
    try {
      fh = await fs.open(blockPath(this.root, hash), OPEN_WHOLE_READ);
    } catch (err) {
      if (isMissing(err)) return 'absent';
      throw err;
    }
    const release = (): Promise<void> => fh.close().catch(() => undefined);
    try {
      const data = await readExactly(fh, size);
      if (data === null) {
        await release();
        return 'other-size';
      }
      return { data, mtimeNs: async () => (await fh.stat({ bigint: true })).mtimeNs, release };
    } catch (err) {
      // A directory under a block's name (EISDIR) is no block, as stat() says; keep real read errors.
      const regular = await fh.stat().then(
        (st) => st.isFile(),
        () => true,
      );
      await release();
      if (!regular) return 'absent';
      throw err;
    }
  }

  /** Starts writing a block into a new temp file next to its final name. */
  async beginWrite(hash: string): Promise<DirectoryPendingWrite> {
    assertHash(hash);
    this.#assertWritable();
    const mapError = (err: unknown): KeepError => mapWriteError(this.uuid, hash, err);
    const dir = blockDir(this.root, hash);
    const tmp = path.join(dir, `tmp${hash}-${randomBytes(6).toString('hex')}`);
    try {
      const fh = await openTemp(tmp, dir);
      return new DirectoryPendingWrite(tmp, blockPath(this.root, hash), fh, mapError);
    } catch (err) {
      throw mapError(err);
    }
  }

  async verifyStored(hash: string): Promise<StoredCopyState> {
    return verifyByReading(this, hash);
  }

  /** Sets the block's mtime to now, so it is not garbage-collected, and returns its stat. */
  async touch(hash: string): Promise<BlockStat> {
    assertHash(hash);
    this.#assertWritable();
    const now = new Date();
    try {
      await fs.utimes(blockPath(this.root, hash), now, now);
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError();
      throw mapWriteError(this.uuid, hash, err);
    }
    const st = await this.stat(hash);
    if (!st) throw new NotFoundError();
    return st;
  }

  /** Bytes available to us on the volume's filesystem; throws when statfs fails (e.g. the root has vanished). */
  async availableBytes(): Promise<number> {
    try {
      const s = await fs.statfs(this.root);
      return s.bavail * s.bsize;
    } catch (err) {
      // Node's message names the path: keep the errno only.
      throw Object.assign(new Error(`volume ${this.uuid}: statfs failed: ${errnoCode(err) ?? 'unknown error'}`), { code: errnoCode(err) });
    }
  }

  /**
   * Stored blocks whose hash starts with `prefix`, in directory order. Streams through the
   * directories (never lists the whole volume in memory) and reads only the `HASH[0:3]`
   * directories that can match. Temp and trash files are skipped.
   */
  async *index(prefix: string): AsyncGenerator<IndexEntry> {
    assertPrefix(prefix);
    const names = this.#matchingNames(prefix);
    for await (const batch of batches(names, INDEX_STAT_BATCH)) {
      const stats = await Promise.all(batch.map((hash) => this.stat(hash)));
      for (let i = 0; i < batch.length; i++) {
        const st = stats[i];
        const hash = batch[i];
        if (st && hash !== undefined) yield { hash, size: st.size, mtimeNs: st.mtimeNs };
      }
    }
  }

  /**
   * Trashes the block (lifetime 0: deletes it) only if `guard` accepts the copy, checked again
   * on the copy actually moved, so a touch racing the trash cannot be lost (see trashBlockIf).
   * Returns null when trashed, else the guard's reason; NotFoundError if the block is absent.
   */
  async trashIf(hash: string, guard: TrashGuard, lifetimeSeconds: number, nowSeconds: number): Promise<string | null> {
    assertHash(hash);
    this.#assertWritable();
    return trashBlockIf(this.root, hash, guard, lifetimeSeconds, nowSeconds).catch(this.#mapper(hash));
  }

  /** Restores the trash copy with the latest deadline; NotFoundError if none. */
  async untrash(hash: string): Promise<void> {
    assertHash(hash);
    this.#assertWritable();
    await untrashBlock(this.root, hash).catch(this.#mapper(hash));
  }

  /** Deletes trash whose deadline is <= `nowSeconds`, yielding each copy deleted. */
  async *emptyTrash(nowSeconds: number): AsyncGenerator<TrashEntry> {
    if (this.readOnly) return;
    yield* emptyTrash(this.root, nowSeconds);
  }

  async *#matchingNames(prefix: string): AsyncGenerator<string> {
    for await (const [, name] of blockDirEntries(this.root, prefix)) {
      if (BLOCK_NAME_RE.test(name) && name.startsWith(prefix)) yield name;
    }
  }

  #assertWritable(): void {
    if (this.readOnly) throw new WriteFailedError('volume is read-only');
  }

  #mapper(hash: string): (err: unknown) => never {
    return (err) => {
      throw mapWriteError(this.uuid, hash, err);
    };
  }
}

/**
 * Creates the temp file; its block directory is made only when the open finds it missing (the
 * first block of its prefix): one file system call per write in the usual case, not two.
 * Not recursive: a vanished root (unmounted disk) must fail, not be recreated.
 */
async function openTemp(tmp: string, dir: string): Promise<FileHandle> {
  try {
    return await fs.open(tmp, 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  await fs.mkdir(dir).catch((err: unknown) => {
    if (errnoCode(err) !== 'EEXIST') throw err; // made by a concurrent write meanwhile
  });
  return fs.open(tmp, 'wx', 0o600);
}

/**
 * The file's bytes when it holds exactly `size`, else null. One read of size + 1 bytes in the
 * usual case: a read that comes back with exactly `size` has met the end of the file (and
 * should a file system ever stop short anyway, the caller's MD5 check still stands). A read
 * that stops before `size` bytes is followed by more until the end of the file.
 */
async function readExactly(fh: FileHandle, size: number): Promise<Buffer | null> {
  const buf = Buffer.allocUnsafe(size + 1);
  let filled = 0;
  do {
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  } while (filled < size);
  return filled === size ? buf.subarray(0, size) : null;
}
