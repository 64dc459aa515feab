import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import type { JobOutcome, JobSpec, ListKind } from '../worklist/list-wire.js';
import type { WorkerToPrimary } from '../cluster/ipc-messages.js';

/** Carries out one kind of job on this worker's volumes. */
export interface JobExecutor<K extends ListKind> {
  run(job: Extract<JobSpec, { kind: K }>): Promise<JobOutcome>;
}

export type Executors = { [K in ListKind]: JobExecutor<K> };

/**
 * Runs the jobs the primary hands this worker and reports every outcome. The primary already
 * limits how many are in flight (credit), so this only tracks them for a clean shutdown.
 */
export class JobRunner {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly executors: Executors,
    private readonly send: (msg: WorkerToPrimary) => void,
    private readonly log: Logger,
  ) {}

  start(id: number, job: JobSpec): void {
    const p = this.execute(job).then((outcome) => this.send({ type: 'job:done', id, kind: job.kind, outcome }));
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Resolves when every job started so far has reported (shutdown waits for this). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get size(): number {
    return this.running.size;
  }

  private async execute(job: JobSpec): Promise<JobOutcome> {
    try {
      return job.kind === 'pull' ? await this.executors.pull.run(job) : await this.executors.trash.run(job);
    } catch (err) {
      // Executors report failures as outcomes; anything thrown here is a bug worth logging loudly.
      this.log.error(`${job.kind} job crashed`, { locator: job.locator, mount: job.volume, error: describeError(err) });
      return { ok: false, error: describeError(err).message };
    }
  }
}
