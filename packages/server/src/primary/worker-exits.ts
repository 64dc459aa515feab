import type { WorkerExit, Workers } from '../ipc/workers.js';

/**
 * The one place that hears a worker process is gone, dead or retired (a retiring worker
 * SIGKILLed at the end of its grace period included), and makes every holder forget what it
 * left in flight: its requests fail or leave the wait, its list uploads are dropped, and the
 * jobs it never answered go back to their lists (`how` decides whether a death is counted
 * against them: the poison pill).
 */
export function forgetGoneWorkers(workers: Workers, forget: ReadonlyArray<(workerId: number, how: WorkerExit) => void>): void {
  workers.on('died', (_index, workerId) => {
    for (const f of forget) f(workerId, 'died');
  });
  workers.on('retired', (_index, workerId) => {
    for (const f of forget) f(workerId, 'retired');
  });
}
