/**
 * A server the bench started in its own process (ours or a reference): its URL, its processes
 * for RSS and CPU sampling, and a stop that waits for the exit.
 */
import type { ChildProcess } from 'node:child_process';
import { childPids } from './proc-stats.ts';

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  /** The primary and its workers, for RSS and CPU sampling. */
  processes(): Promise<Array<{ label: string; pid: number }>>;
  stop(): Promise<void>;
}

/** The handle of `proc`, serving at `url`: call it right after the spawn, so no exit goes unseen. */
export function serverProcess(proc: ChildProcess, url: string): ServerProcess {
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    url,
    async processes() {
      const workers = await childPids(proc.pid!);
      return [{ label: 'primary', pid: proc.pid! }, ...workers.map((pid, i) => ({ label: `worker ${i}`, pid }))];
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
