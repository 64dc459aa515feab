import { KeepError } from '../errors.js';
import { PendingRequests } from '../ipc/pending.js';
import type { Workers } from '../ipc/workers.js';
import type { MetricsSnapshot } from '../metrics/worker-metrics.js';

/** How long the primary waits for every worker's figures before the scrape fails, ms. */
export const COLLECT_TIMEOUT_MS = 5_000;

/**
 * The primary's side of a scrape: asks every listening worker for its metrics with a typed
 * `metrics:collect` message and gathers the `metrics:report` answers.
 *
 * Why not prom-client's AggregatorRegistry.clusterMetrics(): it asks every *connected*
 * cluster worker, including one that was just forked and has not installed its message
 * listener yet. That request is lost, and every scrape during a worker restart would stall
 * for 5 s and then fail. Here only workers that said `listening` are asked, and a worker
 * that dies meanwhile is dropped from the wait (its counters died with it). A worker that is
 * alive but silent fails the scrape (503) rather than returning a partial sum: a partial sum
 * would look like a counter reset to Prometheus and fake a burst in rate().
 */
export class WorkerMetricsCollector {
  readonly #pending = new PendingRequests<number, MetricsSnapshot>();

  constructor(
    private readonly pool: Workers,
    private readonly timeoutMs = COLLECT_TIMEOUT_MS,
  ) {}

  /** Every listening worker's snapshot (empty when none listens). */
  collect(): Promise<MetricsSnapshot[]> {
    const workerIds = this.pool.listening().map((w) => w.workerId);
    return this.#pending.request(workerIds, (workerId, id) => this.pool.send(workerId, { type: 'metrics:collect', id }), {
      timeoutMs: this.timeoutMs,
      timedOut: (silent) => new KeepError(`metrics: no answer from worker(s) ${silent.join(', ')}`, 'KEEP_METRICS_TIMEOUT', 503),
      onGone: 'skip',
    });
  }

  /** Worker process `workerId` answered scrape `id` (a `metrics:report`). */
  report(workerId: number, id: number, metrics: MetricsSnapshot): void {
    this.#pending.answer(id, workerId, metrics);
  }

  /** Worker process `workerId` is gone: its counters died with it, the scrape goes on without it. */
  forgetWorker(workerId: number): void {
    this.#pending.forget(workerId, new Error('worker gone'));
  }
}
