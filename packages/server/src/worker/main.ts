/** Entry point of a worker process, forked by the primary's WorkerPool. */
import { KeepstoreWorker } from './worker.js';

new KeepstoreWorker().run();
