import type { QueueFigures } from './heartbeat-record.js';

const KiB = 1024;
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 4718592 -> "4.5 MiB". */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= KiB && unit < UNITS.length - 1) {
    value /= KiB;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** 3725 -> "1h02m", 99 -> "1m39s", 7 -> "7s"; null -> "-". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Why a list does not run (or runs held back): `off` (trash disabled), `paused`, `throttled`; '' when none. */
export function queueState(q: QueueFigures): string {
  const states: string[] = [];
  if (q.enabled === false) states.push('off');
  if (q.paused) states.push('paused');
  if (q.throttled) states.push('throttled');
  return states.join(' ');
}

/** A list's progress on one line: `520/1000 12.3/s 4.5 MiB/s eta 39s paused` ('-' from an older server). */
export function progressText(q: QueueFigures | undefined): string {
  const p = q?.progress;
  if (!q || !p) return '-';
  const parts = [
    `${p.done + p.failed}/${p.total}`,
    `${p.entriesPerSecond}/s`,
    `${formatBytes(p.bytesPerSecond)}/s`,
    `eta ${formatDuration(p.etaSeconds)}`,
  ];
  const state = queueState(q);
  return state ? `${parts.join(' ')} ${state}` : parts.join(' ');
}

/** `[#####-----]` for `done` of `total`, `width` cells between the brackets (all `-` for an empty list). */
export function progressBar(done: number, total: number, width: number): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
