import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import type { ListKind, ListSnapshot } from '../worklist/list-wire.js';
import { Bitset } from './bitset.js';
import type { ListWriter } from './list-writer.js';

export interface PersisterOptions {
  /** Progress is written at most this often (ms): never per job on the hot path. @default 250 */
  flushDelayMs?: number;
  /** A failed write is retried after this long (ms) while Redis is reachable. @default 5000 */
  retryDelayMs?: number;
  /** Is Redis connected right now? Writes are not even attempted when it is not. */
  isUp(): boolean;
}

/** Where progress of the installed list goes: a persisted generation, with an ordinal map when
 * the installed list is the unfinished part of it (after a resume). */
interface Target {
  gen: string;
  map: Uint32Array | null;
}

/**
 * Mirrors one list kind (pull or trash) of the primary into Redis. The list in memory is the
 * truth; Redis gets a copy of it and of its progress. Every accepted list is written as a new
 * generation (older, still running writes are cancelled); finished entries are recorded in a
 * bitmap in memory and flushed in batches. Whenever Redis may have missed something (a failed
 * write, an outage) the whole list is rewritten with the current bitmap on the next sync().
 * All Redis work of one kind runs in one serial chain, so a flush never races a rewrite.
 */
export class ListPersister {
  /** The list installed in memory; null when there is none (or it is unknown). */
  private snapshot: ListSnapshot | null = null;
  /** The WorkList generation `snapshot` is installed as: progress of other generations is ignored. */
  private listGeneration = -1;
  private bits = new Bitset(0);
  /** Installed ordinals finished since the last write reached Redis. */
  private pending: number[] = [];
  private target: Target | null = null;
  /** Bumped by every new list: a write of an older version stops between batches. */
  private version = 0;
  private dirty = false;
  /** False until a list was accepted or resumed: then Redis holds the truth, do not overwrite it. */
  private knownState = false;
  private chain: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failing = false;
  private stopped = false;

  constructor(
    readonly kind: ListKind,
    private readonly writer: ListWriter,
    private readonly log: Logger,
    private readonly opts: PersisterOptions,
  ) {}

  /** Has this process a list of its own (accepted or resumed), which Redis must mirror? */
  get known(): boolean {
    return this.knownState;
  }

  /** Has Redis missed something that only a full rewrite repairs? */
  get needsSync(): boolean {
    return this.dirty;
  }

  /** The generation progress is recorded in (null until the first write succeeded). */
  get currentGeneration(): string | null {
    return this.target?.gen ?? null;
  }

  /** A new list was accepted and installed as WorkList generation `listGeneration`. */
  accepted(snapshot: ListSnapshot, listGeneration: number): void {
    this.adopt(snapshot, listGeneration, null);
    this.dirty = true;
    this.sync();
  }

  /** A persisted generation was resumed: `snapshot` (its unfinished entries) is installed; map[i] is entry i's ordinal there. */
  resumed(snapshot: ListSnapshot | null, listGeneration: number, gen: string | null, map: Uint32Array | null): void {
    this.adopt(snapshot, listGeneration, gen === null ? null : { gen, map });
  }

  /** Entries of persisted generation `gen` that will never run (corrupt): record them as finished. */
  skipped(gen: string, ordinals: readonly number[]): void {
    if (ordinals.length > 0) this.enqueue(() => this.writer.markDone(gen, ordinals));
  }

  /** An entry of the installed list finished. O(1): sets a bit, and a timer if none runs. */
  finished(listGeneration: number, ordinal: number): void {
    if (listGeneration !== this.listGeneration || !this.bits.set(ordinal)) return;
    this.pending.push(ordinal);
    if (!this.flushTimer && !this.stopped) {
      this.flushTimer = setTimeout(() => this.enqueueFlush(), this.opts.flushDelayMs ?? 250);
    }
  }

  /** Rewrite the installed list as a new generation (queued behind running work). */
  sync(): void {
    if (!this.knownState || this.stopped) return;
    this.dirty = true;
    const version = this.version;
    this.enqueue(() => this.write(version));
  }

  /** Flush what is pending and stop; resolves when the chain is idle (bounded by command timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.flushTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.enqueue(() => this.flush());
    await this.chain;
  }

  private adopt(snapshot: ListSnapshot | null, listGeneration: number, target: Target | null): void {
    this.snapshot = snapshot;
    this.listGeneration = listGeneration;
    this.bits = new Bitset(snapshot?.items.length ?? 0);
    this.pending = [];
    this.target = target;
    this.version++;
    this.dirty = false;
    this.knownState = true;
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: unknown) => this.failed(err));
  }

  private enqueueFlush(): void {
    this.flushTimer = null;
    this.enqueue(() => this.flush());
  }

  private async write(version: number): Promise<void> {
    const snapshot = this.snapshot;
    if (version !== this.version || !this.dirty || !snapshot || !this.opts.isUp()) return;
    const started = Date.now();
    const gen = await this.writer.allocate();
    // Only a newer list cancels a write; stop() lets a running one finish (bounded by command timeouts).
    const stale = (): boolean => version !== this.version;
    let live: boolean;
    try {
      live = await this.writeGeneration(gen, snapshot, stale);
    } catch (err) {
      // Best effort: half-written generations must not pile up in a Redis short of memory.
      await this.writer.deleteGeneration(gen).catch(() => undefined);
      throw err;
    }
    if (!live) {
      await this.writer.deleteGeneration(gen);
      return;
    }
    const collected = await this.writer.collectGarbage(gen);
    const fields = { kind: this.kind, generation: gen, entries: snapshot.items.length, finished: this.bits.cardinality };
    this.log.info('list persisted to redis', { ...fields, durationMs: Date.now() - started, oldGenerationsDeleted: collected });
  }

  /** Entries, then the bitmap, then the pointer; false if a newer list made it moot first. */
  private async writeGeneration(gen: string, snapshot: ListSnapshot, stale: () => boolean): Promise<boolean> {
    if (!(await this.writer.write(gen, snapshot, stale)) || stale()) return false;
    // Synchronously: the bitmap as it is now, and from now on pending bits go to `gen`.
    const bitmap = this.bits.snapshot();
    this.pending = [];
    await this.writer.writeDone(gen, bitmap);
    if (stale()) return false;
    await this.writer.makeCurrent(gen);
    this.target = { gen, map: null };
    this.dirty = false;
    this.succeeded();
    return true;
  }

  private async flush(): Promise<void> {
    const ordinals = this.pending;
    if (ordinals.length === 0) return;
    this.pending = [];
    const target = this.target;
    // Not in Redis yet, or Redis missed something: the next full write carries every bit.
    if (!this.opts.isUp()) this.dirty = true;
    if (!target || this.dirty) return;
    const map = target.map;
    await this.writer.markDone(target.gen, map ? ordinals.map((o) => map[o]!) : ordinals);
    this.succeeded();
  }

  private failed(err: unknown): void {
    this.dirty = true;
    if (this.opts.isUp() && !this.failing) {
      this.log.warn('redis write failed: will rewrite the list', { kind: this.kind, error: describeError(err) });
    }
    this.failing = true;
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.opts.isUp()) this.sync();
    }, this.opts.retryDelayMs ?? 5_000);
    this.retryTimer.unref();
  }

  private succeeded(): void {
    this.failing = false;
  }
}
