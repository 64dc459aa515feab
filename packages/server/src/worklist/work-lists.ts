import type { KeepstoreConfig } from '../config/config.js';
import { limitsOf } from '../config/limits.js';
import type { QueueStats, WorkerStatus } from '../status.js';
import type { WorkerExit, WorkersView as WorkerPool } from '../ipc/workers.js';
import type { Logger } from '../log/logger.js';
import { LIST_NAMES, type ListProgressReport, type ProgressFigures } from '../list-progress.js';
import { Dispatcher, type LimitsSource } from './dispatcher.js';
import { LIST_KINDS } from './list-kinds.js';
import { itemLocator, type JobOutcome, type ListBatch, type ListKind, type ListSnapshot } from './list-wire.js';
import { ListMonitor } from './list-monitor.js';
import { ListUploads } from './list-uploads.js';
import { VolumeSpace } from './volume-space.js';

/**
 * A list's queue as /status.json and the heartbeat show it: `paused` by the operator,
 * `throttled` by pacing (README "Pull pacing"), the current list's `progress`.
 */
export type QueueView = QueueStats & {
  listAgeSeconds: number;
  listSize: number;
  enabled: boolean;
  paused: boolean;
  throttled: boolean;
  progress: ProgressFigures;
};

/**
 * Everything the primary does with the balancer's two lists: assemble uploads from workers,
 * replace the current list atomically on commit, dispatch jobs, and report queue figures.
 */
export class WorkLists {
  private readonly dispatchers: Record<ListKind, Dispatcher>;
  private readonly monitors: Record<ListKind, ListMonitor>;
  private readonly uploads = new ListUploads();
  private readonly space: VolumeSpace;
  private throttled: (kind: ListKind) => boolean = () => false;
  /** Observers of accepted lists (e.g. Redis persistence). */
  private readonly replacedListeners: Array<(list: ListSnapshot) => void> = [];

  constructor(
    pool: WorkerPool,
    private readonly log: Logger,
    /** Default: the config in force (no live limits). */
    limits: LimitsSource = { current: () => limitsOf(pool.currentConfig) },
  ) {
    this.space = new VolumeSpace(pool.currentConfig.volumes);
    const dispatcher = (kind: ListKind): Dispatcher => new Dispatcher(pool, LIST_KINDS[kind], this.space, log, limits);
    this.dispatchers = { pull: dispatcher('pull'), trash: dispatcher('trash') };
    this.monitors = { pull: new ListMonitor('pull', this.dispatchers.pull), trash: new ListMonitor('trash', this.dispatchers.trash) };
  }

  start(): Promise<void> {
    return this.space.start();
  }

  stop(): void {
    this.space.stop();
  }

  /** A new config (SIGHUP): volumes and trash switch may have changed. */
  reconfigure(config: KeepstoreConfig): void {
    this.space.setVolumes(config.volumes);
    for (const kind of LIST_NAMES) this.dispatchers[kind].setEnabled(LIST_KINDS[kind].enabled(config));
  }

  /** The limits in force changed: a raised concurrency takes effect at once. */
  limitsChanged(): void {
    for (const kind of LIST_NAMES) this.dispatchers[kind].pump();
  }

  /** Follow which worker processes have pulls in flight (see Dispatcher.onBusy). */
  onPullBusy(listener: (workerId: number, busy: boolean) => void): void {
    this.dispatchers.pull.onBusy(listener);
  }

  onReplaced(listener: (list: ListSnapshot) => void): void {
    this.replacedListeners.push(listener);
  }

  /**
   * Observe entries of the lists finishing (done, failed or skipped), by their ordinal in the
   * list of `generation` (see generation()). Synchronous and on the hot path: keep it O(1).
   */
  onEntryFinished(listener: (kind: ListKind, generation: number, ordinal: number) => void): void {
    for (const kind of LIST_NAMES)
      this.dispatchers[kind].list.onEntryFinished((generation, ordinal) => listener(kind, generation, ordinal));
  }

  /** The generation of the current list of `kind` (bumped by every install). */
  generation(kind: ListKind): number {
    return this.dispatchers[kind].list.currentGeneration;
  }

  /** Open a list upload for worker process `workerId` (cluster's id: unique per process). */
  begin(kind: ListKind, workerId: number): number {
    return this.uploads.begin(kind, workerId);
  }

  /** Part of list upload `uploadId` (a `list:batch`). */
  addBatch(uploadId: number, batch: ListBatch): void {
    this.uploads.add(uploadId, batch);
  }

  /** Worker process `workerId` gave up list upload `uploadId` (a `list:abort`). */
  abort(uploadId: number, workerId: number): void {
    this.uploads.abort(uploadId, workerId);
  }

  /** Worker process `workerId` answered job `id` of `kind` (a `job:done`). */
  jobDone(workerId: number, kind: ListKind, id: number, outcome: JobOutcome): void {
    this.dispatchers[kind].answer(workerId, id, outcome);
  }

  /** Job `id` of `kind` on worker process `workerId` now asks `server` (a `job:trying`). */
  jobTrying(workerId: number, kind: ListKind, id: number, server: string): void {
    this.dispatchers[kind].trying(workerId, id, server);
  }

  /**
   * Worker process `workerId` is gone (called by primary/worker-exits.ts): its unfinished
   * uploads are dropped and the jobs it never answered go back to their lists.
   */
  forgetWorker(workerId: number, how: WorkerExit): void {
    this.uploads.dropWorker(workerId);
    for (const kind of LIST_NAMES) this.dispatchers[kind].takeBack(workerId, how);
  }

  /** Commit an upload: the new list replaces the current one whole. Returns its size. */
  commit(uploadId: number, count: number): number {
    const uploaded = this.uploads.commit(uploadId, count);
    this.install(uploaded);
    for (const listener of this.replacedListeners) listener(uploaded);
    return count;
  }

  /** Make `list` the current list of its kind (also used to resume a persisted list). */
  install(list: ListSnapshot): void {
    this.dispatchers[list.kind].replace(list);
    this.log.info(`${list.kind} list installed`, { count: list.items.length });
  }

  queue(kind: ListKind): QueueView {
    const d = this.dispatchers[kind];
    const stats = d.list.stats();
    // Only a list with work left is held back (an idle worker's event loop may lag too).
    const throttled = stats.queued + stats.inProgress > 0 && this.throttled(kind);
    return { ...stats, enabled: d.isEnabled, paused: d.isPaused, throttled, progress: this.monitors[kind].figures() };
  }

  /** Where queue() learns whether pacing holds a list back (the primary's pull pacing). */
  reportThrottled(source: (kind: ListKind) => boolean): void {
    this.throttled = source;
  }

  /** GET /pull, GET /trash: progress, jobs in flight, recent failures. */
  progress(kind: ListKind): ListProgressReport {
    return this.monitors[kind].report();
  }

  /** POST /KIND/pause and /KIND/resume (and a pause resumed from Redis): the list is kept either way. */
  setPaused(kind: ListKind, paused: boolean): void {
    if (this.dispatchers[kind].isPaused !== paused) this.log.info(`${kind} list ${paused ? 'paused' : 'resumed'}`, { kind });
    this.dispatchers[kind].setPaused(paused);
  }

  isPaused(kind: ListKind): boolean {
    return this.dispatchers[kind].isPaused;
  }

  /** Per-worker view of what each is pulling and trashing right now. */
  workerActivity(workers: WorkerStatus[]): Array<WorkerStatus & { pulling: string[]; trashing: string[] }> {
    const pulling = this.dispatchers.pull.runningByWorker();
    const trashing = this.dispatchers.trash.runningByWorker();
    return workers.map((w) => ({
      ...w,
      pulling: (pulling.get(w.index) ?? []).map((j) => itemLocator(j.entry)),
      trashing: (trashing.get(w.index) ?? []).map((j) => itemLocator(j.entry)),
    }));
  }
}
