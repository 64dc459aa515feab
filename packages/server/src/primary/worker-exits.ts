import type { Workers } from '../ipc/workers.js';

/**
 * The one place that hears a worker process is gone, dead or retired (a retiring worker
 * SIGKILLed at the end of its grace period included), and makes every holder forget what it
 * left in flight: its requests fail or leave the wait, its list uploads are dropped. (Jobs it
 * never reported go back to their list in the dispatchers, which also count deaths.)
 */
export function forgetGoneWorkers(workers: Workers, forget: ReadonlyArray<(workerId: number) => void>): void {
  const gone = (_index: number, workerId: number) => {
    for (const f of forget) f(workerId);
  };
  workers.on('died', gone);
  workers.on('retired', gone);
}
