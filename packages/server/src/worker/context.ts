import type { AppContext } from '../http/app-context.js';
import type { JobContext } from '../worklist/job-executor.js';

/** The worker's context has exactly the fields of the HTTP app's (merged into the class below). */
export interface WorkerContext extends AppContext, JobContext {}

/**
 * Everything a worker's HTTP handlers and executors need, built once per worker process from
 * its parts; a test builds one around a temp volume and a fake primary, without forking.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class WorkerContext {
  constructor(parts: AppContext & Pick<JobContext, 'pacing'>) {
    Object.assign(this, parts);
  }
}
