import type { ConfigSource } from '../config/config-source.js';
import type { WorkerStatus } from '../status.js';
import type { MessageHandlers, PrimaryToWorker, WorkerToPrimary } from './messages.js';

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
}

/** How a worker process left: died unexpectedly, or retired (shrink, rolling reload). */
export type WorkerExit = 'died' | 'retired';

/** The worker process a message came from. */
export interface MessageSender {
  index: number;
  /** cluster's id, unique per process: tells processes of one index apart. */
  workerId: number;
  /** Answer that very process (even a retiring one). */
  reply: (msg: PrimaryToWorker) => void;
}

/** Messages the pool answers itself (a worker's start-up handshake). */
type PoolMessage = Extract<WorkerToPrimary, { type: 'hello' | 'listening' }>;

/**
 * The primary's handlers for every other worker message (rpc calls, list batches, job
 * results, metrics reports): with the pool's own two, the primary's one table, and a new
 * message type that neither handles fails to compile (primary/main.ts builds it).
 */
export type WorkerMessageHandlers = MessageHandlers<Exclude<WorkerToPrimary, PoolMessage>, MessageSender>;

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
