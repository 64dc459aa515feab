import { KeepError } from '../errors.js';
import type { Workers } from '../ipc/workers.js';
import type { MetricsSnapshot } from '../metrics/worker-metrics.js';

/** How long the primary waits for every worker's figures before the scrape fails, ms. */
export const COLLECT_TIMEOUT_MS = 5_000;

interface Collection {
  /** Worker processes (cluster ids) still to answer. */
  waiting: Set<number>;
  snapshots: MetricsSnapshot[];
  resolve: (s: MetricsSnapshot[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

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
  #nextId = 1;
  readonly #pending = new Map<number, Collection>();

  constructor(
    private readonly pool: Workers,
    private readonly timeoutMs = COLLECT_TIMEOUT_MS,
  ) {
    pool.on('message', (_index, msg, _reply, workerId) => {
      if (msg.type === 'metrics:report') this.#answer(msg.id, workerId, msg.metrics);
    });
    pool.on('died', (_index, workerId) => {
      for (const id of [...this.#pending.keys()]) this.#answer(id, workerId, null);
    });
  }

  /** Every listening worker's snapshot (empty when none listens). */
  collect(): Promise<MetricsSnapshot[]> {
    const id = this.#nextId++;
    const workerIds = this.pool
      .listening()
      .map((w) => w.workerId)
      .filter((workerId) => this.pool.send(workerId, { type: 'metrics:collect', id }));
    if (workerIds.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const silent = [...(this.#pending.get(id)?.waiting ?? workerIds)].join(', ');
        this.#pending.delete(id);
        reject(new KeepError(`metrics: no answer from worker(s) ${silent}`, 'KEEP_METRICS_TIMEOUT', 503));
      }, this.timeoutMs);
      this.#pending.set(id, { waiting: new Set(workerIds), snapshots: [], resolve, reject, timer });
    });
  }

  /** `snapshot` null: the worker (process `workerId`) died before answering. */
  #answer(id: number, workerId: number, snapshot: MetricsSnapshot | null): void {
    const c = this.#pending.get(id);
    if (!c || !c.waiting.delete(workerId)) return;
    if (snapshot) c.snapshots.push(snapshot);
    if (c.waiting.size > 0) return;
    this.#pending.delete(id);
    clearTimeout(c.timer);
    c.resolve(c.snapshots);
  }
}
