/** Process figures from /proc (Linux): resident memory now, and its peak over a sampling window. */
import { readFileSync } from 'node:fs';

/** VmRSS of `pid` in bytes, or null when the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the RSS of `pids` every `intervalMs` until stop(), which returns the peak of each. */
export function samplePeakRss(pids: number[], intervalMs = 20): { stop(): Map<number, number> } {
  const peak = new Map<number, number>(pids.map((p) => [p, rssBytes(p) ?? 0]));
  const timer = setInterval(() => {
    for (const pid of pids) {
      const rss = rssBytes(pid);
      if (rss !== null && rss > (peak.get(pid) ?? 0)) peak.set(pid, rss);
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export const MiB = 1024 * 1024;
export const fmtMiB = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
