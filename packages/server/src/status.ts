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

export interface ClusterStatus {
  workers: WorkerStatus[];
  pullQueue: QueueStats;
  trashQueue: QueueStats;
}
