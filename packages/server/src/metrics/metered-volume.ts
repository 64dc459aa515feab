import { InvalidLocatorError, KeepError, NotFoundError } from '../errors.js';
import type {
  BlockReader,
  BlockStat,
  IndexEntry,
  PendingWrite,
  StoredCopyState,
  TrashEntry,
  TrashGuard,
  Volume,
  WholeBlock,
} from '../volume/volume.js';

/** The operations counted per volume (the `operation` label). */
export const VOLUME_OPERATIONS = [
  'stat',
  'open',
  'create',
  'write',
  'verify',
  'touch',
  'statfs',
  'index',
  'trash',
  'untrash',
  'empty_trash',
  'cleanup',
] as const;
export type VolumeOperation = (typeof VOLUME_OPERATIONS)[number];

/** An error label must stay a small, fixed vocabulary: errno names and our error codes. */
const ERROR_LABEL_RE = /^[A-Z][A-Z0-9_]{0,39}$/;

/**
 * Counts of one volume's operations and errors, kept as plain numbers so the hot path pays an
 * increment, not a metrics-library call; WorkerMetrics turns them into series when scraped.
 */
export class VolumeCounts {
  readonly operations = new Map<VolumeOperation, number>();
  readonly errors = new Map<string, number>();

  count(op: VolumeOperation): void {
    this.operations.set(op, (this.operations.get(op) ?? 0) + 1);
  }

  /** A failed operation; outcomes that are answers (not found, bad hash) are not errors. */
  fail(err: unknown): void {
    if (err instanceof NotFoundError || err instanceof InvalidLocatorError) return;
    const code = err instanceof KeepError ? err.code : (err as { code?: unknown } | null)?.code;
    const label = typeof code === 'string' && ERROR_LABEL_RE.test(code) ? code : 'other';
    this.errors.set(label, (this.errors.get(label) ?? 0) + 1);
  }
}

/**
 * Wraps any Volume and counts what is asked of it. Every caller (HTTP routes, pull and trash
 * executors) is counted without touching the drivers or the callers: the worker simply builds
 * its VolumeSet from these.
 */
export class MeteredVolume implements Volume {
  readonly counts = new VolumeCounts();

  constructor(readonly inner: Volume) {}

  get uuid(): string {
    return this.inner.uuid;
  }
  get driver(): string {
    return this.inner.driver;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  get replication(): number {
    return this.inner.replication;
  }
  get storageClasses(): readonly string[] {
    return this.inner.storageClasses;
  }
  get priority(): number {
    return this.inner.priority;
  }
  get deviceId(): string {
    return this.inner.deviceId;
  }

  async #run<T>(op: VolumeOperation, fn: () => Promise<T>): Promise<T> {
    this.counts.count(op);
    try {
      return await fn();
    } catch (err) {
      this.counts.fail(err);
      throw err;
    }
  }

  async *#runEach<T>(op: VolumeOperation, source: () => AsyncIterable<T>): AsyncGenerator<T> {
    this.counts.count(op);
    try {
      yield* source();
    } catch (err) {
      this.counts.fail(err);
      throw err;
    }
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  stat(hash: string): Promise<BlockStat | null> {
    return this.#run('stat', () => this.inner.stat(hash));
  }

  openRead(hash: string): Promise<BlockReader> {
    return this.#run('open', () => this.inner.openRead(hash));
  }

  /** Counted as an `open`: it is the read of a GET (the driver may stat first, as S3 does). */
  readWhole(hash: string, size: number): Promise<WholeBlock | 'absent' | 'other-size'> {
    return this.#run('open', () => this.inner.readWhole(hash, size));
  }

  async beginWrite(hash: string): Promise<PendingWrite> {
    const pending = await this.#run('create', () => this.inner.beginWrite(hash));
    return {
      stream: pending.stream,
      commit: () => this.#run('write', () => pending.commit()),
      discard: () => pending.discard(),
    };
  }

  verifyStored(hash: string): Promise<StoredCopyState> {
    return this.#run('verify', () => this.inner.verifyStored(hash));
  }

  touch(hash: string): Promise<BlockStat> {
    return this.#run('touch', () => this.inner.touch(hash));
  }

  /** A failure to read the figure counts as STATFS_FAILED (null, "no such figure", is no error). */
  async availableBytes(): Promise<number | null> {
    this.counts.count('statfs');
    try {
      return await this.inner.availableBytes();
    } catch (err) {
      this.counts.fail({ code: 'STATFS_FAILED' });
      throw err;
    }
  }

  index(prefix: string): AsyncIterable<IndexEntry> {
    return this.#runEach('index', () => this.inner.index(prefix));
  }

  trashIf(hash: string, guard: TrashGuard, lifetimeSeconds: number, nowSeconds: number): Promise<string | null> {
    return this.#run('trash', () => this.inner.trashIf(hash, guard, lifetimeSeconds, nowSeconds));
  }

  untrash(hash: string): Promise<void> {
    return this.#run('untrash', () => this.inner.untrash(hash));
  }

  emptyTrash(nowSeconds: number): AsyncIterable<TrashEntry> {
    return this.#runEach('empty_trash', () => this.inner.emptyTrash(nowSeconds));
  }

  removeAbandonedWrites(olderThanMs: number): Promise<number> {
    return this.#run('cleanup', () => this.inner.removeAbandonedWrites(olderThanMs));
  }
}
