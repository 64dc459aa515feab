import type { Logger } from '../log/logger.js';
import type { WorkersView as WorkerPool } from '../ipc/workers.js';
import { itemHooks } from './item-hooks.js';
import type { ListKindSpec } from './list-kind-spec.js';
import { itemLocator, type JobOutcome, type ListItem, type ListSnapshot } from './list-wire.js';
import type { VolumeSpace } from './volume-space.js';
import { WorkList, type Job } from './work-list.js';

/** Worker deaths while running one job after which the job is dropped as the likely cause. */
const MAX_DEATHS = 3;

/**
 * Feeds one WorkList to the workers by credit: a worker gets a job only into a free slot and
 * only for a volume it owns. Results free the slot and pull the next job. A dead worker's jobs
 * go back to the head of the list; a replaced list takes effect for everything not yet started.
 */
export class Dispatcher {
  readonly list: WorkList<ListItem>;
  /** The server lists the items of the current list index (pull; empty for trash). */
  private serverLists: ListSnapshot['serverLists'] = [];
  /** Jobs in flight per worker process (cluster worker id), with that worker's index. */
  private readonly inFlight = new Map<number, { index: number; jobs: Map<number, Job<ListItem>> }>();
  private enabled: boolean;
  /** Job id -> how many workers died while running it (see withoutPoison). */
  private readonly deaths = new Map<number, number>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly spec: ListKindSpec,
    space: VolumeSpace,
    private readonly log: Logger,
  ) {
    this.list = new WorkList(itemHooks(log, spec, (item) => spec.route(item, pool.currentConfig, space)));
    this.enabled = spec.enabled(pool.currentConfig);
    pool.on('ready', () => this.pump());
    pool.on('died', (_index, workerId) => this.takeBack(workerId, 'dead'));
    pool.on('retired', (_index, workerId) => this.takeBack(workerId, 'retired'));
    pool.on('message', (_index, msg, _reply, workerId) => {
      if (msg.type === 'job:done' && msg.kind === spec.kind) this.onDone(workerId, msg.id, msg.outcome);
    });
  }

  /** Replace the list; jobs in flight whose entry it no longer has are told to stop early. */
  replace(list: ListSnapshot): void {
    this.serverLists = list.serverLists;
    this.list.replace(list.items);
    this.pump();
    void this.cancelUnwanted();
  }

  /**
   * Send `job:cancel` for the jobs in flight that the current list no longer has, looking for
   * them in steps (yielding between them) so that a list of millions never blocks the primary.
   * A newer list abandons the search and runs its own.
   */
  private async cancelUnwanted(): Promise<void> {
    const generation = this.list.currentGeneration;
    const scan = this.list.unwantedInFlight();
    let step = scan.next();
    while (!step.done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.list.currentGeneration !== generation) return;
      step = scan.next();
    }
    const unwanted = new Set(step.value);
    if (unwanted.size === 0) return;
    for (const [workerId, { jobs }] of this.inFlight) {
      for (const job of jobs.values()) if (unwanted.has(job)) this.pool.send(workerId, { type: 'job:cancel', id: job.id });
    }
  }

  /** Stop or resume handing out jobs (trash lists are kept but not run when blobTrash is off). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.pump();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Jobs in flight per worker index, for /status.json. */
  runningByWorker(): Map<number, Job<ListItem>[]> {
    const byIndex = new Map<number, Job<ListItem>[]>();
    for (const { index, jobs } of this.inFlight.values()) byIndex.set(index, [...(byIndex.get(index) ?? []), ...jobs.values()]);
    return byIndex;
  }

  /** Hand out jobs to every worker with a free slot. Cheap when there is nothing to do. */
  pump(): void {
    if (!this.enabled) return;
    for (const { index, workerId, volumes } of this.pool.listening()) {
      const mine = this.jobsOf(workerId, index);
      const limit = this.spec.concurrency(this.pool.currentConfig);
      while (mine.size < limit) {
        const job = this.list.take(volumes);
        if (!job) break;
        if (!this.pool.send(workerId, { type: 'job', id: job.id, job: this.spec.toJob(job.entry, job.volume, this.serverLists) })) {
          // Not delivered (the worker is gone; its 'died' may already have fired, e.g. when
          // this pump runs from that very event): put the job back now, or it would sit
          // "in progress" forever.
          this.list.requeue([job.id]);
          break;
        }
        mine.set(job.id, job);
      }
    }
  }

  private jobsOf(workerId: number, index: number): Map<number, Job<ListItem>> {
    let entry = this.inFlight.get(workerId);
    if (!entry) this.inFlight.set(workerId, (entry = { index, jobs: new Map() }));
    return entry.jobs;
  }

  private onDone(workerId: number, id: number, outcome: JobOutcome): void {
    this.inFlight.get(workerId)?.jobs.delete(id);
    this.deaths.delete(id);
    this.list.complete(id, outcome.ok, !outcome.ok && outcome.cancelled === true);
    this.pump();
  }

  /** A worker process is gone: whatever it never reported goes back to the list. */
  private takeBack(workerId: number, why: 'dead' | 'retired'): void {
    const entry = this.inFlight.get(workerId);
    this.inFlight.delete(workerId);
    if (entry && entry.jobs.size > 0) {
      const back = why === 'dead' ? this.withoutPoison(entry.jobs) : [...entry.jobs.keys()];
      this.log.warn(`requeueing ${this.spec.kind} jobs of a ${why} worker`, { workerIndex: entry.index, count: back.length });
      this.list.requeue(back);
    }
    this.pump();
  }

  /**
   * The jobs of a dead worker that may run again. A job whose workers died MAX_DEATHS times
   * while running it is taken to be what kills them (a poison pill): it fails and is logged,
   * instead of crashing every replacement in turn.
   */
  private withoutPoison(jobs: Map<number, Job<ListItem>>): number[] {
    const again: number[] = [];
    for (const [id, job] of jobs) {
      const deaths = (this.deaths.get(id) ?? 0) + 1;
      if (deaths < MAX_DEATHS) {
        this.deaths.set(id, deaths);
        again.push(id);
        continue;
      }
      this.deaths.delete(id);
      this.log.error(`${this.spec.kind} job dropped: its worker died every time it ran`, {
        locator: itemLocator(job.entry),
        mount: job.volume,
        deaths,
      });
      this.list.complete(id, false);
    }
    return again;
  }
}
