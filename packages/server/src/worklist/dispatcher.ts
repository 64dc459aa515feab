import type { Logger } from '../log/logger.js';
import type { WorkerPool } from '../cluster/worker-pool.js';
import type { JobOutcome, JobSpec } from './list-wire.js';
import { WorkList, type Job, type WorkListHooks } from './work-list.js';

export interface DispatcherOptions<E> {
  kind: 'pull' | 'trash';
  /** Jobs in flight per worker (pullConcurrency / trashConcurrency; read on each pump, so a reload applies). */
  concurrency(): number;
  hooks: WorkListHooks<E>;
  toJob(job: Job<E>): JobSpec;
  /** Called for every finished job (logging and persistence hooks). */
  onOutcome?(job: Job<E>, outcome: JobOutcome): void;
}

/**
 * Feeds one WorkList to the workers by credit: a worker gets a job only into a free slot and
 * only for a volume it owns. Results free the slot and pull the next job. A dead worker's jobs
 * go back to the head of the list; a replaced list takes effect for everything not yet started.
 */
export class Dispatcher<E> {
  readonly list: WorkList<E>;
  private readonly inFlight = new Map<number, Map<number, Job<E>>>();
  private enabled = true;

  constructor(
    protected readonly pool: WorkerPool,
    private readonly opts: DispatcherOptions<E>,
    protected readonly log: Logger,
  ) {
    this.list = new WorkList(opts.hooks);
    pool.on('ready', () => this.pump());
    pool.on('died', (index) => this.onDied(index));
    pool.on('message', (index, msg) => {
      if (msg.type === 'job:done' && msg.kind === opts.kind) this.onDone(index, msg.id, msg.outcome);
    });
  }

  replace(entries: readonly E[]): void {
    this.list.replace(entries);
    this.pump();
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
  runningByWorker(): Map<number, Job<E>[]> {
    return new Map([...this.inFlight].map(([index, jobs]) => [index, [...jobs.values()]]));
  }

  /** Hand out jobs to every worker with a free slot. Cheap when there is nothing to do. */
  pump(): void {
    if (!this.enabled) return;
    for (const { index, volumes } of this.pool.listening()) {
      const mine = this.jobsOf(index);
      const limit = this.opts.concurrency();
      while (mine.size < limit) {
        const job = this.list.take(volumes);
        if (!job) break;
        if (!this.pool.send(index, { type: 'job', id: job.id, job: this.opts.toJob(job) })) {
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

  private jobsOf(index: number): Map<number, Job<E>> {
    let jobs = this.inFlight.get(index);
    if (!jobs) this.inFlight.set(index, (jobs = new Map()));
    return jobs;
  }

  private onDone(index: number, id: number, outcome: JobOutcome): void {
    this.inFlight.get(index)?.delete(id);
    const job = this.list.complete(id, outcome.ok);
    if (job) this.opts.onOutcome?.(job, outcome);
    this.pump();
  }

  private onDied(index: number): void {
    const jobs = this.inFlight.get(index);
    this.inFlight.delete(index);
    if (jobs && jobs.size > 0) {
      this.log.warn(`requeueing ${this.opts.kind} jobs of a dead worker`, { workerIndex: index, count: jobs.size });
      this.list.requeue(jobs.keys());
    }
    this.pump();
  }
}
