/**
 * Per-process figures from /proc (Linux): resident memory and CPU time. The bench samples
 * them while a row runs, so RSS is the peak seen under load, not the idle value.
 */
import { readFile } from 'node:fs/promises';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export async function rssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

/** utime + stime of one process, seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Direct children of `pid` (nginx workers, keepstore workers). */
export async function childPids(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Peak RSS per labelled process while `during` runs, sampled every `everyMs`. */
export async function samplePeakRss<T>(
  procs: () => Promise<Array<{ label: string; pid: number }>>,
  during: Promise<T>,
  everyMs = 250,
): Promise<{ result: T; peak: Map<string, number> }> {
  const peak = new Map<string, number>();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      for (const { label, pid } of await procs()) peak.set(label, Math.max(peak.get(label) ?? 0, await rssBytes(pid)));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    return { result: await during, peak };
  } finally {
    done = true;
    await sampler;
  }
}
