import type { PullEntry, TrashEntry } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';
import type { LimitsInForce, LimitsPatch } from '../config/limits.js';
import type { ListName, ListProgressReport, PauseState } from '../list-progress.js';
import type { Logger } from '../log/logger.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { ClusterStatus } from '../status.js';
import type { VolumeSet } from '../volume/volume-set.js';

/**
 * A list arriving by PUT /pull or PUT /trash: its validated entries, run by run, as the body
 * streams in. The iteration throws (a 400 or 413) at the first wrong entry or past a bound.
 */
export type ReceivedList =
  | { kind: 'pull'; entries: AsyncIterable<readonly PullEntry[]> }
  | { kind: 'trash'; entries: AsyncIterable<readonly TrashEntry[]> };

/**
 * What the HTTP API asks of the primary. A worker answers it over the IPC channel; an
 * in-process test can answer it itself.
 */
export interface PrimaryLink {
  /** The cluster view for /status.json. */
  status(): Promise<ClusterStatus>;
  /** The whole server's metrics, as Prometheus text. */
  metrics(): Promise<{ text: string; contentType: string }>;
  /**
   * Hand `list` to the primary as it arrives and make it the current list once it ended
   * whole; resolves with the number of entries accepted. If the iteration throws, the
   * primary drops what it got (the current list stays) and the error is rethrown.
   */
  uploadList(list: ReceivedList): Promise<number>;
  /** GET /pull, GET /trash. */
  listProgress(kind: ListName): Promise<ListProgressReport>;
  /** Pause or resume dispatching a list; resolves with the state in force. */
  setPaused(kind: ListName, paused: boolean): Promise<PauseState>;
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
