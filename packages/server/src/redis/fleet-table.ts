import { progressText } from './fleet-progress.js';
import type { HeartbeatRecord, QueueFigures } from './heartbeat-record.js';

const GiB = 1024 ** 3;

function queue(q: QueueFigures | undefined): string {
  if (!q) return '-';
  return `${q.queued}/${q.inProgress}/${q.done}/${q.failed}${q.enabled === false ? ' (off)' : ''}`;
}

/** A volume count and their free space, e.g. `2 (81.3 GiB free)`. */
export function free(volumes: HeartbeatRecord['volumes'] | undefined): string {
  if (!volumes?.length) return '-';
  const known = volumes.filter((v) => v.freeBytes !== null);
  const bytes = known.reduce((n, v) => n + (v.freeBytes ?? 0), 0);
  return `${volumes.length} (${(bytes / GiB).toFixed(1)} GiB free${known.length < volumes.length ? ', some unknown' : ''})`;
}

/** Seconds since `updatedAt`, e.g. `2s`. */
export function age(updatedAt: string | undefined, now: number): string {
  const t = updatedAt ? Date.parse(updatedAt) : NaN;
  return Number.isNaN(t) ? '-' : `${Math.max(0, Math.round((now - t) / 1000))}s`;
}

/**
 * The fleet as a plain-text table, one live keepstore per line sorted by URL (URL first).
 * Queues read queued/in progress/done/failed (since start); progress is the current list's
 * (finished of total, rate, time left, paused or throttled). Pure: the caller fetched the records.
 */
export function formatFleet(records: readonly HeartbeatRecord[], now = Date.now()): string {
  const header = [
    'URL',
    'UUID',
    'WORKERS',
    'VOLUMES',
    'PULL q/run/done/fail',
    'TRASH q/run/done/fail',
    'PULL PROGRESS',
    'TRASH PROGRESS',
    'SEEN',
  ];
  const rows = [...records]
    .sort((a, b) => a.url.localeCompare(b.url))
    .map((r) => [
      r.url,
      r.uuid,
      r.workers ? `${r.workers.listening}/${r.workers.configured}` : '-',
      free(r.volumes),
      queue(r.pullQueue),
      queue(r.trashQueue),
      progressText(r.pullQueue),
      progressText(r.trashQueue),
      age(r.updatedAt, now),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const plural = records.length === 1 ? '' : 's';
  return [line(header), ...rows.map(line), `${records.length} live keepstore${plural}`].join('\n') + '\n';
}
