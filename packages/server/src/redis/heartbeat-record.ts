import type { ProgressFigures } from '../list-progress.js';
import type { QueueStats } from '../status.js';

/**
 * Queue figures as published (the same as /status.json's pullQueue and trashQueue). `paused`,
 * `throttled` (a pacing limit holds the list back, when the server reports it) and `progress`
 * are optional: an older server's record has none of them.
 */
export type QueueFigures = QueueStats & {
  listSize: number;
  listAgeSeconds: number;
  enabled: boolean;
  paused?: boolean;
  throttled?: boolean;
  progress?: ProgressFigures;
};

/**
 * What each server publishes under `heartbeat:<uuid>` (JSON; url first so a raw GET reads
 * naturally). The key expires after 3 heartbeat intervals: a present record is a live server.
 */
export interface HeartbeatRecord {
  url: string;
  uuid: string;
  /** os.hostname(): with `url`, tells this server's own stale record from another server's. */
  host: string;
  pid: number;
  startedAt: string;
  updatedAt: string;
  heartbeatIntervalMs: number;
  volumes: Array<{ uuid: string; readOnly: boolean; freeBytes: number | null }>;
  workers: { configured: number; listening: number; restarts: number };
  pullQueue: QueueFigures;
  trashQueue: QueueFigures;
  /** The Redis generation each list is persisted as (null: not persisted yet or no list). */
  persisted: { pull: string | null; trash: string | null };
}

/** Parse a record read back from Redis; null when it is not one (foreign or corrupt key). */
export function parseHeartbeat(text: string | null): HeartbeatRecord | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<HeartbeatRecord>;
    return typeof value.url === 'string' && typeof value.uuid === 'string' ? (value as HeartbeatRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Is `record` (found under our uuid) another server's? Our own is one with our url and host (a
 * restart finds its predecessor's record, still live). Records without `host` (older servers)
 * are judged by url alone.
 */
export function isAnotherServer(record: HeartbeatRecord, ours: Pick<HeartbeatRecord, 'url' | 'host'>): boolean {
  return record.url !== ours.url || (record.host !== undefined && record.host !== ours.host);
}
