import type { KeepstoreConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { RpcClient } from '../cluster/rpc-client.js';
import type { SendWithBackpressure } from '../worklist/list-uploader.js';
import type { VolumeSet } from '../volume/volume-set.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';

/** Everything a worker's HTTP handlers and executors need, built once per worker process. */
export interface WorkerContext {
  readonly config: KeepstoreConfig;
  readonly index: number;
  readonly log: Logger;
  readonly volumes: VolumeSet;
  readonly rpc: RpcClient;
  /** Send a message to the primary, resolving once the channel has taken it (backpressure). */
  readonly sendToPrimary: SendWithBackpressure;
  /** Request and volume counters; absent in tests that build a bare app. */
  readonly metrics?: WorkerMetrics;
}
