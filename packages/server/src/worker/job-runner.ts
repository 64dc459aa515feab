import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import type { Executors, JobExecutor } from '../worklist/job-executor.js';
import type { JobOutcome, JobSpec, ListKind } from '../worklist/list-wire.js';
import type { WorkerToPrimary } from '../ipc/messages.js';

/**
 * Runs the jobs the primary hands this worker and reports every outcome. The primary already
 * limits how many are in flight (credit), so this only tracks them for a clean shutdown.
 */
export class JobRunner {
  private readonly running = new Set<Promise<void>>();
  /** Cancellation of each job in flight, by kind and the primary's job id (ids are per kind). */
  private readonly cancellers = new Map<`${ListKind}:${number}`, AbortController>();

  constructor(
    private readonly executors: Executors,
    private readonly send: (msg: WorkerToPrimary) => void,
    private readonly log: Logger,
    /** Null when a job may start now, else a wait (the yield gate: clients first). */
    private readonly mayStart: () => Promise<void> | null = () => null,
  ) {}

  start(id: number, job: JobSpec): void {
    const canceller = new AbortController();
    const key = `${job.kind}:${id}` as const;
    this.cancellers.set(key, canceller);
    const trying = (server: string): void => this.send({ type: 'job:trying', id, kind: job.kind, server });
    const p = this.execute(job, canceller.signal, trying).then((outcome) => this.send({ type: 'job:done', id, kind: job.kind, outcome }));
    this.running.add(p);
    void p.finally(() => {
      this.running.delete(p);
      this.cancellers.delete(key);
    });
  }

  /** The primary no longer wants job `id` of `kind` (its list was replaced or cleared). Unknown ids: nothing. */
  cancel(kind: ListKind, id: number): void {
    this.cancellers.get(`${kind}:${id}`)?.abort();
  }

  /** Resolves when every job started so far has reported (shutdown waits for this). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get size(): number {
    return this.running.size;
  }

  private async execute(job: JobSpec, cancelled: AbortSignal, trying: (server: string) => void): Promise<JobOutcome> {
    try {
      // The executor of the job's own kind: TypeScript cannot pair the two unions by itself.
      const executor = this.executors[job.kind] as JobExecutor<ListKind>;
      const wait = this.mayStart();
      if (wait) await wait;
      return await executor.run(job, cancelled, trying);
    } catch (err) {
      // Executors report failures as outcomes; anything thrown here is a bug worth logging loudly.
      this.log.error(`${job.kind} job crashed`, { locator: job.locator, mount: job.volume, error: describeError(err) });
      return { ok: false, error: describeError(err).message };
    }
  }
}
