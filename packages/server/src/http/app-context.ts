import type { PullEntry, TrashEntry } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';
import type { LimitsInForce, LimitsPatch } from '../config/limits.js';
import type { Logger } from '../log/logger.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { ClusterStatus } from '../status.js';
import type { VolumeSet } from '../volume/volume-set.js';

/** A list validated by PUT /pull or PUT /trash, ready to hand to the primary. */
export type ReceivedList = { kind: 'pull'; entries: readonly PullEntry[] } | { kind: 'trash'; entries: readonly TrashEntry[] };

/**
 * What the HTTP API asks of the primary. A worker answers it over the IPC channel; an
 * in-process test can answer it itself.
 */
export interface PrimaryLink {
  /** The cluster view for /status.json. */
  status(): Promise<ClusterStatus>;
  /** The whole server's metrics, as Prometheus text. */
  metrics(): Promise<{ text: string; contentType: string }>;
  /** Make `list` the current list; resolves with the number of entries accepted. */
  uploadList(list: ReceivedList): Promise<number>;
  /** The limits in force, after applying `set` (a validated live change) when given. */
  limits(set: LimitsPatch | null): Promise<LimitsInForce>;
}

/** Everything the HTTP handlers need, built once per worker process (or per test). */
export interface AppContext {
  readonly config: KeepstoreConfig;
  /** The worker index, shown as `servedBy` in /status.json. */
  readonly index: number;
  readonly log: Logger;
  readonly volumes: VolumeSet;
  readonly primary: PrimaryLink;
  /** Request and volume counters; absent in tests that build a bare app. */
  readonly metrics?: WorkerMetrics;
}
