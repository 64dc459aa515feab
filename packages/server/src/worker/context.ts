import type { KeepstoreConfig } from '../config/config.js';
import type { AppContext, PrimaryLink } from '../http/app-context.js';
import type { Logger } from '../log/logger.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { VolumeSet } from '../volume/volume-set.js';
import type { JobContext } from '../worklist/job-executor.js';

/**
 * Everything a worker's HTTP handlers and executors need, built once per worker process from
 * its parts; a test builds one around a temp volume and a fake primary, without forking.
 */
export class WorkerContext implements AppContext, JobContext {
  readonly config: KeepstoreConfig;
  readonly index: number;
  readonly log: Logger;
  readonly volumes: VolumeSet;
  readonly primary: PrimaryLink;
  readonly metrics?: WorkerMetrics;

  constructor(parts: { config: KeepstoreConfig; index: number; log: Logger; volumes: VolumeSet; primary: PrimaryLink; metrics?: WorkerMetrics }) {
    this.config = parts.config;
    this.index = parts.index;
    this.log = parts.log;
    this.volumes = parts.volumes;
    this.primary = parts.primary;
    if (parts.metrics) this.metrics = parts.metrics;
  }
}
