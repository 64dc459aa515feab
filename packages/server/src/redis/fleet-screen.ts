import { age, free } from './fleet-table.js';
import { formatBytes, formatDuration, progressBar, queueState } from './fleet-progress.js';
import type { HeartbeatRecord, QueueFigures } from './heartbeat-record.js';

/** One list's line under its server: bar, percentage, finished of total, rates, time left, state. */
function listLine(name: string, q: QueueFigures | undefined, barWidth: number): string {
  const p = q?.progress;
  if (!q || !p) return `  ${name.padEnd(6)}(no progress published: an older keepstore)`;
  const finished = p.done + p.failed;
  const percent = p.total > 0 ? `${Math.floor((finished / p.total) * 100)}%` : '-';
  const failed = p.failed > 0 ? ` (${p.failed} failed)` : '';
  return [
    `  ${name.padEnd(6)}${progressBar(finished, p.total, barWidth)}`,
    percent.padStart(4),
    `${finished}/${p.total}${failed}`.padEnd(22),
    `${p.entriesPerSecond}/s`.padStart(9),
    `${formatBytes(p.bytesPerSecond)}/s`.padStart(12),
    `eta ${formatDuration(p.etaSeconds)}`.padEnd(10),
    queueState(q),
  ]
    .join('  ')
    .trimEnd();
}

/**
 * The `keepstore fleet --watch` screen: a title line, then per live keepstore (sorted by URL)
 * its line and a progress bar for each of its pull and trash lists. `columns` is the terminal
 * width (the bars shrink to fit). Pure: lines without terminal control sequences.
 */
export function fleetScreen(
  records: readonly HeartbeatRecord[],
  opts: { now: number; intervalMs: number; columns: number; error?: string },
): string[] {
  // A list line is the bar plus ~100 columns of figures: the bar takes what is left, 10 to 40.
  const barWidth = Math.max(10, Math.min(40, opts.columns - 100));
  const plural = records.length === 1 ? '' : 's';
  const clock = new Date(opts.now).toISOString().slice(11, 19);
  const lines = [
    `keepstore fleet: ${records.length} live keepstore${plural}, every ${opts.intervalMs / 1000}s, ${clock} UTC (Ctrl-C to quit)`,
  ];
  if (opts.error) lines.push(`cannot read redis: ${opts.error} (showing the last figures)`);
  for (const r of [...records].sort((a, b) => a.url.localeCompare(b.url))) {
    const workers = r.workers ? `${r.workers.listening}/${r.workers.configured}` : '-';
    lines.push('', `${r.url}  ${r.uuid}  workers ${workers}  volumes ${free(r.volumes)}  seen ${age(r.updatedAt, opts.now)} ago`);
    lines.push(listLine('pull', r.pullQueue, barWidth), listLine('trash', r.trashQueue, barWidth));
  }
  return lines;
}
