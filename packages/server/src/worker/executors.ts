import type { WorkerContext } from '../http/worker-context.js';
import { PullExecutor } from '../pull/pull-executor.js';
import { TrashExecutor } from '../trash/trash-executor.js';
import type { Executors } from './job-runner.js';

/** The executors of one worker: what "carry out this entry" means for each list kind. */
export function createExecutors(ctx: WorkerContext): Executors {
  return { pull: new PullExecutor(ctx), trash: new TrashExecutor(ctx) };
}
