import type { ConfigSource } from '../config/config-source.js';
import type { WorkerStatus } from '../status.js';
import type { PrimaryToWorker, WorkerToPrimary } from './messages.js';

/** What happens to the primary's workers, as the modules that follow them hear it. */
export interface WorkerEvents {
  /** A worker (new or respawned) is listening and owns `volumes`. */
  ready: [index: number, volumes: string[]];
  /** A worker died unexpectedly; whatever it was doing must be handed back. */
  died: [index: number, workerId: number];
  /**
   * A worker retired (shrink or rolling reload) and exited. Normally it finished its jobs
   * first; any it did not report (grace period over, crash) must be handed back too.
   */
  retired: [index: number, workerId: number];
  /**
   * A message from a worker; `reply` answers that very process (even a retiring one).
   * `workerId` (cluster's id, unique per process) tells processes of one index apart.
   */
  message: [index: number, msg: WorkerToPrimary, reply: (msg: PrimaryToWorker) => void, workerId: number];
}

/** A listening worker process and the volumes it owns. */
export interface ListeningWorker {
  index: number;
  workerId: number;
  volumes: string[];
}

/**
 * The primary's workers as the rest of the primary sees them: who listens, how to reach one,
 * what happens to them. The pool implements it; dispatchers, metrics and Redis depend on this
 * view only, so they can be built around a fake in a test.
 */
export interface Workers {
  on<E extends keyof WorkerEvents>(event: E, listener: (...args: WorkerEvents[E]) => void): unknown;
  /** Listening workers with the volumes they own (empty once the server is stopping). */
  listening(): ListeningWorker[];
  /** Send to the worker process `workerId`; false if it is gone. */
  send(workerId: number, msg: PrimaryToWorker): boolean;
  status(): WorkerStatus[];
}

/** The workers and the config in force: what the dispatchers and the heartbeat read. */
export type WorkersView = Workers & ConfigSource;
