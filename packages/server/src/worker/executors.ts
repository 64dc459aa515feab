import type { Executors, JobContext } from '../worklist/job-executor.js';
import { PullExecutor } from '../pull/pull-executor.js';
import { TrashExecutor } from '../trash/trash-executor.js';

/** The executors of one worker: what "carry out this entry" means for each list kind. */
export function createExecutors(ctx: JobContext): Executors {
  return { pull: new PullExecutor(ctx), trash: new TrashExecutor(ctx) };
}
