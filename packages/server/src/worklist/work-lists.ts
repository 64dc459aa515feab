import type { KeepstoreConfig } from '../config/config.js';
import type { QueueStats, WorkerStatus } from '../status.js';
import type { WorkersView as WorkerPool } from '../ipc/workers.js';
import type { Logger } from '../log/logger.js';
import type { ListKind } from './list-wire.js';
import { ListUploads, type UploadedList } from './list-uploads.js';
import { PullDispatcher } from './pull-kind.js';
import { TrashDispatcher } from './trash-kind.js';
import { VolumeSpace } from './volume-space.js';

export type QueueView = QueueStats & { listAgeSeconds: number; listSize: number; enabled: boolean };

/**
 * Everything the primary does with the balancer's two lists: assemble uploads from workers,
 * replace the current list atomically on commit, dispatch jobs, and report queue figures.
 */
export class WorkLists {
  readonly pull: PullDispatcher;
  readonly trash: TrashDispatcher;
  private readonly uploads = new ListUploads();
  private readonly space: VolumeSpace;
  /** Observers of accepted lists (e.g. Redis persistence). */
  private readonly replacedListeners: Array<(list: UploadedList) => void> = [];

  constructor(
    pool: WorkerPool,
    private readonly log: Logger,
  ) {
    this.space = new VolumeSpace(pool.currentConfig.volumes);
    this.pull = new PullDispatcher(pool, this.space, log);
    this.trash = new TrashDispatcher(pool, log);
    pool.on('message', (_index, msg) => {
      if (msg.type === 'list:batch') this.uploads.add(msg.uploadId, msg.batch);
    });
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
    this.trash.setEnabled(config.blobTrash);
    this.pull.pump();
  }

  onReplaced(listener: (list: UploadedList) => void): void {
    this.replacedListeners.push(listener);
  }

  /**
   * Observe entries of the lists finishing (done, failed or skipped), by their ordinal in the
   * list of `generation` (see generation()). Synchronous and on the hot path: keep it O(1).
   */
  onEntryFinished(listener: (kind: ListKind, generation: number, ordinal: number) => void): void {
    this.pull.list.onEntryFinished((generation, ordinal) => listener('pull', generation, ordinal));
    this.trash.list.onEntryFinished((generation, ordinal) => listener('trash', generation, ordinal));
  }

  /** The generation of the current list of `kind` (bumped by every install). */
  generation(kind: ListKind): number {
    return (kind === 'pull' ? this.pull : this.trash).list.currentGeneration;
  }

  /** Open a list upload for worker process `workerId` (cluster's id: unique per process). */
  begin(kind: ListKind, workerId: number): number {
    return this.uploads.begin(kind, workerId);
  }

  /** Worker process `workerId` is gone (dead or retired): its unfinished uploads are dropped. */
  dropUploadsOf(workerId: number): void {
    this.uploads.dropWorker(workerId);
  }

  /** Commit an upload: the new list replaces the current one whole. Returns its size. */
  commit(uploadId: number, count: number): number {
    const uploaded = this.uploads.commit(uploadId, count);
    this.install(uploaded);
    for (const listener of this.replacedListeners) listener(uploaded);
    return count;
  }

  /** Make `uploaded` the current list (also used to resume a persisted list). */
  install(uploaded: UploadedList): void {
    if (uploaded.kind === 'pull') this.pull.setList(uploaded.list);
    else this.trash.replace(uploaded.items);
    const size = uploaded.kind === 'pull' ? uploaded.list.items.length : uploaded.items.length;
    this.log.info(`${uploaded.kind} list installed`, { count: size });
  }

  queue(kind: ListKind): QueueView {
    const d = kind === 'pull' ? this.pull : this.trash;
    return { ...d.list.stats(), enabled: d.isEnabled };
  }

  /** Per-worker view of what each is pulling and trashing right now. */
  workerActivity(workers: WorkerStatus[]): Array<WorkerStatus & { pulling: string[]; trashing: string[] }> {
    const pulling = this.pull.runningByWorker();
    const trashing = this.trash.runningByWorker();
    return workers.map((w) => ({
      ...w,
      pulling: (pulling.get(w.index) ?? []).map((j) => j.entry[0]),
      trashing: (trashing.get(w.index) ?? []).map((j) => j.entry[0]),
    }));
  }
}
