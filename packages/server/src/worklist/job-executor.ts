import type { KeepstoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { PullPacing } from '../pull/pacing.js';
import type { VolumeSet } from '../volume/volume-set.js';
import type { JobOutcome, JobSpec, ListKind } from './list-wire.js';

/** What an executor needs of the worker it runs in (the worker's context provides it). */
export interface JobContext {
  readonly config: KeepstoreConfig;
  readonly log: Logger;
  readonly volumes: VolumeSet;
  /** Request and volume counters; absent in tests that build a bare executor. */
  readonly metrics?: WorkerMetrics;
  /** How pulls pace their transfers (README "Pull pacing"); absent in tests that build a bare executor. */
  readonly pacing?: PullPacing;
}

/**
 * Carries out one kind of job on this worker's volumes. `cancelled` is aborted when the job's
 * entry left the list: an executor with several steps (a pull's servers) stops at the next one.
 * `trying` tells the primary which server a step asks (shown by GET /pull).
 */
export interface JobExecutor<K extends ListKind> {
  run(job: Extract<JobSpec, { kind: K }>, cancelled: AbortSignal, trying?: (server: string) => void): Promise<JobOutcome>;
}

export type Executors = { [K in ListKind]: JobExecutor<K> };
