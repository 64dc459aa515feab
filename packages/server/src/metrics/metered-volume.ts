import type { Readable } from 'node:stream';
import { InvalidLocatorError, KeepError, NotFoundError } from '../errors.js';
import { DirectoryVolume } from '../volume/directory-volume.js';
import type { TrashGuard } from '../volume/directory-trash.js';
import type { BlockStat, IndexEntry, PendingWrite, TrashEntry, VolumeSpec } from '../volume/types.js';

/** The operations counted per volume (the `operation` label). */
export const VOLUME_OPERATIONS = [
  'stat',
  'open',
  'create',
  'write',
  'compare',
  'touch',
  'statfs',
  'index',
  'trash',
  'untrash',
  'empty_trash',
  'delete',
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
 * A DirectoryVolume that counts what is asked of it. Instrumenting by subclass keeps every
 * caller (HTTP routes, pull and trash executors) counted without touching the volume code or
 * the callers: the worker simply builds its VolumeSet from these.
 */
export class MeteredVolume extends DirectoryVolume {
  readonly counts = new VolumeCounts();

  constructor(spec: VolumeSpec) {
    super(spec);
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

  override stat(hash: string): Promise<BlockStat | null> {
    return this.#run('stat', () => super.stat(hash));
  }

  override openRead(hash: string): Promise<{ stream: Readable; size: number; mtimeNs: bigint }> {
    return this.#run('open', () => super.openRead(hash));
  }

  override async beginWrite(hash: string): Promise<PendingWrite> {
    const pending = await this.#run('create', () => super.beginWrite(hash));
    return {
      path: pending.path,
      stream: pending.stream,
      commit: () => this.#run('write', () => pending.commit()),
      discard: () => pending.discard(),
    };
  }

  override sameContent(hash: string, otherPath: string): Promise<boolean> {
    return this.#run('compare', () => super.sameContent(hash, otherPath));
  }

  override touch(hash: string): Promise<BlockStat> {
    return this.#run('touch', () => super.touch(hash));
  }

  /** DirectoryVolume turns a statfs failure into null (room unknown); count it as an error. */
  override async availableBytes(): Promise<number | null> {
    const free = await this.#run('statfs', () => super.availableBytes());
    if (free === null) this.counts.fail({ code: 'STATFS_FAILED' });
    return free;
  }

  override async *index(prefix = ''): AsyncGenerator<IndexEntry> {
    this.counts.count('index');
    try {
      yield* super.index(prefix);
    } catch (err) {
      this.counts.fail(err);
      throw err;
    }
  }

  override trash(hash: string, lifetimeSeconds: number, nowSeconds: number): Promise<void> {
    return this.#run('trash', () => super.trash(hash, lifetimeSeconds, nowSeconds));
  }

  override trashIf(hash: string, guard: TrashGuard, lifetimeSeconds: number, nowSeconds: number): Promise<string | null> {
    return this.#run('trash', () => super.trashIf(hash, guard, lifetimeSeconds, nowSeconds));
  }

  override untrash(hash: string): Promise<void> {
    return this.#run('untrash', () => super.untrash(hash));
  }

  override emptyTrash(nowSeconds: number): Promise<TrashEntry[]> {
    return this.#run('empty_trash', () => super.emptyTrash(nowSeconds));
  }

  override delete(hash: string): Promise<void> {
    return this.#run('delete', () => super.delete(hash));
  }
}
