import type { KeepstoreConfig } from '../config/config.js';
import { limitsOf } from '../config/limits.js';
import type { QueueStats, WorkerStatus } from '../status.js';
import type { WorkerExit, WorkersView as WorkerPool } from '../ipc/workers.js';
import type { Logger } from '../log/logger.js';
import { Dispatcher, type LimitsSource } from './dispatcher.js';
import { KIND_NAMES, LIST_KINDS } from './list-kinds.js';
import { itemLocator, type JobOutcome, type ListBatch, type ListKind, type ListSnapshot } from './list-wire.js';
import { ListUploads } from './list-uploads.js';
import { VolumeSpace } from './volume-space.js';

export type QueueView = QueueStats & { listAgeSeconds: number; listSize: number; enabled: boolean };

/**
 * Everything the primary does with the balancer's two lists: assemble uploads from workers,
 * replace the current list atomically on commit, dispatch jobs, and report queue figures.
 */
export class WorkLists {
  private readonly dispatchers: Record<ListKind, Dispatcher>;
  private readonly uploads = new ListUploads();
  private readonly space: VolumeSpace;
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
    for (const kind of KIND_NAMES) this.dispatchers[kind].setEnabled(LIST_KINDS[kind].enabled(config));
  }

  /** The limits in force changed: a raised concurrency takes effect at once. */
  limitsChanged(): void {
    for (const kind of KIND_NAMES) this.dispatchers[kind].pump();
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
    for (const kind of KIND_NAMES)
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

  /** Worker process `workerId` answered job `id` of `kind` (a `job:done`). */
  jobDone(workerId: number, kind: ListKind, id: number, outcome: JobOutcome): void {
    this.dispatchers[kind].answer(workerId, id, outcome);
  }

  /**
   * Worker process `workerId` is gone (called by primary/worker-exits.ts): its unfinished
   * uploads are dropped and the jobs it never answered go back to their lists.
   */
  forgetWorker(workerId: number, how: WorkerExit): void {
    this.uploads.dropWorker(workerId);
    for (const kind of KIND_NAMES) this.dispatchers[kind].takeBack(workerId, how);
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
    return { ...d.list.stats(), enabled: d.isEnabled };
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
