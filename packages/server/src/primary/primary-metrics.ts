import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ConfigSource } from '../config/config-source.js';
import type { Workers } from '../ipc/workers.js';
import type { ListName } from '../list-progress.js';
import type { QueueStats, WorkerStatus } from '../status.js';
import { volumesOf } from '../volume/create-volume.js';
import { freeBytesOrNull } from '../volume/free-space.js';
import type { Volume } from '../volume/volume.js';
import type { WorkerMetricsCollector } from './worker-collector.js';

/** A volume whose free space the primary reports. */
export type FreeSpaceSource = Pick<Volume, 'uuid' | 'availableBytes'>;

export interface PrimaryMetricsSources {
  workers: Workers;
  config: ConfigSource;
  pullQueue: () => QueueFigures;
  trashQueue: () => QueueFigures;
  /** Read at every scrape (SIGHUP may change the volumes); default: the config in force. */
  volumes?: () => readonly FreeSpaceSource[];
}

/** A list's queue figures and whether the operator paused it. */
export type QueueFigures = QueueStats & { paused: boolean };

/** A whole-server scrape, ready to send. */
export interface Scrape {
  text: string;
  contentType: string;
}

const WORKER_STATES: readonly WorkerStatus['state'][] = ['starting', 'listening', 'retiring', 'waiting-restart'];

/**
 * The primary's own metrics (work queues, workers, restarts, free space: things only the
 * primary knows, or that must be counted once rather than once per worker) and the scrape
 * that sums them with every worker's figures. Gauges read their providers in collect(), so
 * nothing is kept up to date between scrapes.
 */
export class PrimaryMetrics {
  readonly registry = new Registry();
  readonly #collector: WorkerMetricsCollector;

  constructor(sources: PrimaryMetricsSources, collector: WorkerMetricsCollector) {
    this.#collector = collector;
    collectDefaultMetrics({ register: this.registry });
    this.#queueMetrics('pull', sources.pullQueue);
    this.#queueMetrics('trash', sources.trashQueue);
    this.#workerMetrics(sources.workers);
    const volumes = sources.volumes ?? (() => volumesOf(sources.config.currentConfig.volumes));
    new Gauge({
      name: 'keepstore_volume_free_bytes',
      help: 'Bytes available to keepstore on the filesystem of each volume (no series when unknown, e.g. S3).',
      labelNames: ['mount'],
      registers: [this.registry],
      async collect() {
        const list = volumes();
        const free = await Promise.all(list.map(freeBytesOrNull));
        this.reset();
        for (const [i, v] of list.entries()) {
          const bytes = free[i];
          if (bytes !== null && bytes !== undefined) this.set({ mount: v.uuid }, bytes);
        }
      },
    });
  }

  /**
   * One text exposition for the whole server: the primary's registry plus every listening
   * worker's, summed series by series (process metrics too: process_resident_memory_bytes is
   * the RSS of all processes together). Rejects with a 503 KeepError if a worker is silent.
   */
  async scrape(): Promise<Scrape> {
    const [workers, own] = await Promise.all([this.#collector.collect(), this.registry.getMetricsAsJSON()]);
    const merged = AggregatorRegistry.aggregate([own, ...workers]);
    return { text: await merged.metrics(), contentType: merged.contentType };
  }

  #queueMetrics(kind: ListName, stats: () => QueueFigures): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: (q: QueueFigures) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(stats()));
        },
      });
    };
    const counter = (name: string, help: string, read: (q: QueueStats) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(stats()));
        },
      });
    };
    gauge(`keepstore_${kind}_paused`, `1 while the ${kind} list is paused (POST /${kind}/pause), else 0.`, (q) => (q.paused ? 1 : 0));
    gauge(`keepstore_${kind}_queue_pending_entries`, `${kind} list entries waiting to be dispatched.`, (q) => q.queued);
    gauge(`keepstore_${kind}_queue_inprogress_entries`, `${kind} list entries being carried out by workers.`, (q) => q.inProgress);
    counter(`keepstore_${kind}_queue_done_total`, `${kind} list entries carried out successfully.`, (q) => q.done);
    counter(`keepstore_${kind}_queue_failed_total`, `${kind} list entries that failed.`, (q) => q.failed);
  }

  #workerMetrics(pool: Workers): void {
    const restarts = new Counter({
      name: 'keepstore_worker_restarts_total',
      help: 'Workers that died unexpectedly (and were restarted), by stable worker index.',
      labelNames: ['worker'],
      registers: [this.registry],
    });
    pool.on('died', (index) => restarts.inc({ worker: String(index) }));
    new Gauge({
      name: 'keepstore_workers',
      help: 'Worker processes, by state (starting, listening, retiring, waiting-restart).',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const workers = pool.status();
        for (const state of WORKER_STATES) this.set({ state }, workers.filter((w) => w.state === state).length);
      },
    });
  }
}
