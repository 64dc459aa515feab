import type { QueueStats } from '../status.js';

/**
 * What a list kind (pull, trash) decides about one entry when it comes up for dispatch:
 * the volumes to run it on (one job per volume), or why it is skipped.
 */
export type Route = { volumes: string[] } | { skip: string };

export interface Job<E> {
  id: number;
  entry: E;
  /** Position of the entry in its list: progress (e.g. in Redis) is recorded by it. */
  ordinal: number;
  volume: string;
  /** The list generation the job came from: a requeue only goes back to the current list. */
  generation: number;
  /** Shared by the jobs of one entry routed to several volumes: the entry finishes with the last. */
  fanout: { remaining: number; failed: boolean } | null;
}

/** An entry of list `generation` finished: all its jobs completed (ok: none failed), or it was skipped. */
export type EntryFinishedListener = (generation: number, ordinal: number, ok: boolean) => void;

export interface WorkListHooks<E> {
  /** Stable identity of an entry (e.g. locator + target): an entry in flight is not started twice. */
  keyOf(entry: E): string;
  /** Decide where an entry runs; called lazily, in list order, only when a worker wants work. */
  route(entry: E): Route;
  /** An entry was skipped by route(). */
  onSkip?(entry: E, reason: string): void;
}

/**
 * How WorkList reads its entries: an array, or a compact store that builds each entry when
 * asked (the primary's lists: see compact-list.ts).
 */
export interface ListEntries<E> {
  readonly length: number;
  /** Entry `i`, for 0 <= i < length. */
  at(i: number): E | undefined;
}

/** How many routed-but-undispatched jobs may wait per volume before routing pauses. */
const ROUTED_BACKLOG_LIMIT = 10_000;

/**
 * The generic ordered work list that the primary owns for both pull and trash lists. Entries
 * stay in the store they arrived in (no copy per worker); a cursor routes them lazily into
 * per-volume queues, so a worker takes the next entry for the volumes it owns, in list order,
 * without a slow volume blocking the others. Pure: no I/O, no timers.
 */
export class WorkList<E> {
  private entries: ListEntries<E> = [];
  private cursor = 0;
  private generation = 0;
  private replacedAt = Date.now();
  private readonly routed = new Map<string, Job<E>[]>();
  private routedCount = 0;
  private readonly inFlight = new Map<number, Job<E>>();
  private readonly inFlightKeys = new Map<string, number>();
  private nextJobId = 1;
  /** Entries finished (done: every job of it succeeded), over every list so far. */
  private done = 0;
  private failed = 0;
  /** Entries of the current list finished (done, failed or skipped). */
  private finishedInList = 0;
  private readonly finishedListeners: EntryFinishedListener[] = [];
  /**
   * Ordinals of current entries skipped because the same entry (key) was in flight, e.g. from
   * the list this one replaced: they finish with that job, or are routed again if it is lost.
   */
  private readonly attached = new Map<string, number[]>();

  constructor(private readonly hooks: WorkListHooks<E>) {}

  /**
   * Replace the list whole: what was not yet dispatched is dropped at once; jobs in flight
   * finish and are counted; entries of the new list that are in flight are not started again
   * (see unwantedInFlight for those it does not have).
   */
  replace(entries: ListEntries<E>, now = Date.now()): void {
    this.entries = entries;
    this.cursor = 0;
    this.generation++;
    this.replacedAt = now;
    this.routed.clear();
    this.routedCount = 0;
    this.attached.clear();
    this.finishedInList = 0;
  }

  /**
   * The jobs in flight (as they are at the first step) whose entry the current list does not
   * have: no longer wanted, so a pull may stop at its next server. One pass over the list, cut
   * into steps of `chunk` entries (a million keys take a few hundred ms) so that the caller can
   * yield to the event loop between them; it ends early once every job was found in the list.
   */
  *unwantedInFlight(chunk = 10_000): Generator<void, Array<Job<E>>, void> {
    const jobs = [...this.inFlight.values()];
    const missing = new Set(jobs.map((job) => this.hooks.keyOf(job.entry)));
    const entries = this.entries;
    for (let i = 0; i < entries.length && missing.size > 0; i++) {
      missing.delete(this.hooks.keyOf(entries.at(i)!));
      if ((i + 1) % chunk === 0) yield;
    }
    return jobs.filter((job) => missing.has(this.hooks.keyOf(job.entry)));
  }

  /** Bumped by every replace(); jobs carry the generation of the list they came from. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Observe entries finishing (persistence records progress by ordinal). Called synchronously. */
  onEntryFinished(listener: EntryFinishedListener): void {
    this.finishedListeners.push(listener);
  }

  /** The next job for a worker that owns `volumes`, in list order; null if none is ready. */
  take(volumes: readonly string[]): Job<E> | null {
    for (;;) {
      const job = this.takeRouted(volumes);
      if (job) {
        // A duplicate routed before its twin started: it finishes with the twin instead.
        const key = this.hooks.keyOf(job.entry);
        if (job.fanout === null && this.inFlightKeys.has(key)) {
          this.attach(key, job.ordinal);
          continue;
        }
        return this.start(job);
      }
      if (!this.routeNext(volumes)) return null;
    }
  }

  /** A job finished; returns it (undefined if unknown, e.g. reported twice). */
  complete(jobId: number, ok: boolean, cancelled = false): Job<E> | undefined {
    const job = this.release(jobId);
    if (!job) return undefined;
    if (cancelled) {
      // Dropped with its list: counted nowhere. Entries of a newer list that waited on it run on their own.
      for (const ordinal of this.takeAttached(job)) this.routeEntry(ordinal);
      return job;
    }
    const fanout = job.fanout;
    if (fanout) fanout.failed ||= !ok;
    if (!fanout || --fanout.remaining === 0) this.notifyFinished(job.generation, job.ordinal, fanout ? !fanout.failed : ok);
    for (const ordinal of this.takeAttached(job)) this.notifyFinished(this.generation, ordinal, ok);
    return job;
  }

  /** A worker died: its jobs go back to the head of their volume queue if their list is current. */
  requeue(jobIds: Iterable<number>): void {
    const back: Job<E>[] = [];
    const orphans: number[] = [];
    for (const id of jobIds) {
      const job = this.release(id);
      if (job && job.generation === this.generation) back.push(job);
      else if (job) orphans.push(...this.takeAttached(job));
    }
    for (const job of back.reverse()) this.queueFor(job.volume).unshift(job);
    this.routedCount += back.length;
    // Current entries that waited on a lost job of an older list run on their own now.
    for (const ordinal of orphans) this.routeEntry(ordinal);
  }

  /**
   * Queue figures, in entries (an entry fanned out to several volumes counts once, and so
   * does a duplicate that finished with its twin): `queued` entries of the current list not
   * started yet, `inProgress` entries running (a replaced list's included), `done` and
   * `failed` entries finished since start. For the current list, queued + its running and
   * finished entries = listSize, always.
   */
  stats(): QueueStats & { listAgeSeconds: number; listSize: number } {
    const running = new Set<string>();
    let runningInList = 0;
    for (const job of this.inFlight.values()) {
      const id = `${job.generation}:${job.ordinal}`;
      if (running.has(id)) continue;
      running.add(id);
      if (job.generation === this.generation) runningInList++;
    }
    let waiting = 0; // entries finishing with a twin in flight: running too
    for (const ordinals of this.attached.values()) waiting += ordinals.length;
    return {
      queued: this.entries.length - this.finishedInList - runningInList - waiting,
      inProgress: running.size + waiting,
      done: this.done,
      failed: this.failed,
      listAgeSeconds: Math.round((Date.now() - this.replacedAt) / 1000),
      listSize: this.entries.length,
    };
  }

  /** Entries in the current list (stats().listSize without its walk over the jobs in flight). */
  get size(): number {
    return this.entries.length;
  }

  /** The entries in flight (for status pages). */
  running(): Array<Job<E>> {
    return [...this.inFlight.values()];
  }

  private takeRouted(volumes: readonly string[]): Job<E> | null {
    let best: Job<E>[] | null = null;
    for (const v of volumes) {
      const q = this.routed.get(v);
      if (q && q.length > 0 && (best === null || q[0]!.id < best[0]!.id)) best = q;
    }
    if (!best) return null;
    this.routedCount--;
    return best.shift()!;
  }

  /** Route entries at the cursor until one lands on `volumes`; false when nothing more can be routed. */
  private routeNext(volumes: readonly string[]): boolean {
    while (this.cursor < this.entries.length) {
      if (this.routedCount >= ROUTED_BACKLOG_LIMIT * Math.max(1, this.routed.size)) return false;
      const ordinal = this.cursor++;
      const key = this.hooks.keyOf(this.entries.at(ordinal)!);
      if (this.inFlightKeys.has(key)) {
        this.attach(key, ordinal);
        continue;
      }
      if (this.routeEntry(ordinal).some((v) => volumes.includes(v))) return true;
    }
    return false;
  }

  /** Queue the jobs of entry `ordinal` (one per volume); returns those volumes ([] if skipped). */
  private routeEntry(ordinal: number): string[] {
    const entry = this.entries.at(ordinal)!;
    const route = this.hooks.route(entry);
    if ('skip' in route) {
      this.hooks.onSkip?.(entry, route.skip);
      this.notifyFinished(this.generation, ordinal, false);
      return [];
    }
    const fanout = route.volumes.length > 1 ? { remaining: route.volumes.length, failed: false } : null;
    for (const volume of route.volumes) {
      this.queueFor(volume).push({ id: this.nextJobId++, entry, ordinal, volume, generation: this.generation, fanout });
      this.routedCount++;
    }
    return route.volumes;
  }

  private attach(key: string, ordinal: number): void {
    const waiting = this.attached.get(key);
    if (waiting) waiting.push(ordinal);
    else this.attached.set(key, [ordinal]);
  }

  /** The current entries attached to `job`'s key, once no job with that key is in flight any more. */
  private takeAttached(job: Job<E>): number[] {
    const key = this.hooks.keyOf(job.entry);
    const waiting = this.attached.get(key);
    if (!waiting || this.inFlightKeys.has(key)) return [];
    this.attached.delete(key);
    return waiting;
  }

  private notifyFinished(generation: number, ordinal: number, ok: boolean): void {
    if (ok) this.done++;
    else this.failed++;
    if (generation === this.generation) this.finishedInList++;
    for (const listener of this.finishedListeners) listener(generation, ordinal, ok);
  }

  private queueFor(volume: string): Job<E>[] {
    let q = this.routed.get(volume);
    if (!q) this.routed.set(volume, (q = []));
    return q;
  }

  private start(job: Job<E>): Job<E> {
    const key = this.hooks.keyOf(job.entry);
    this.inFlight.set(job.id, job);
    this.inFlightKeys.set(key, (this.inFlightKeys.get(key) ?? 0) + 1);
    return job;
  }

  private release(jobId: number): Job<E> | undefined {
    const job = this.inFlight.get(jobId);
    if (!job) return undefined;
    this.inFlight.delete(jobId);
    const key = this.hooks.keyOf(job.entry);
    const n = (this.inFlightKeys.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlightKeys.delete(key);
    else this.inFlightKeys.set(key, n);
    return job;
  }
}
