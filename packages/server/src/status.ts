import type { LimitsInForce } from './config/limits.js';

/** What the primary knows about the cluster, shown in /status.json. */
export interface WorkerStatus {
  index: number;
  pid: number | null;
  state: 'starting' | 'listening' | 'retiring' | 'waiting-restart';
  volumes: string[];
  restarts: number;
}

export interface QueueStats {
  queued: number;
  inProgress: number;
  done: number;
  failed: number;
}

/** Pull pacing (README "Pull pacing"): `limits` and `throttle` in /status.json. */
export interface PacingStatus {
  limits: LimitsInForce;
  /** Transfers in flight per peer server, counted while pullPerPeerConcurrency > 0. */
  peerSlots: Record<string, number>;
  /** Per listening worker: yielding to its clients now, and its share of pullBandwidth (bytes/s; 0: unlimited or not pulling). */
  workers: Array<{ index: number; throttled: boolean; bandwidthShare: number }>;
}

export interface ClusterStatus {
  workers: WorkerStatus[];
  pullQueue: QueueStats;
  trashQueue: QueueStats;
  pacing: PacingStatus;
}
