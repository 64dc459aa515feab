/**
 * What GET /pull and GET /trash show of a list (README "Pull lists", Watching and steering a
 * list): the primary builds it (worklist/list-monitor.ts), a worker relays it over rpc
 * `list:progress`. Plain JSON: the HTTP payload is this very value.
 */

/** The two lists, as the HTTP paths name them (worklist/'s ListKind is this type). */
export const LIST_NAMES = ['pull', 'trash'] as const;
export type ListName = (typeof LIST_NAMES)[number];

/** One server's reason for not delivering a block. */
export interface ServerFailure {
  server: string;
  error: string;
}

/** A list entry that failed (on every server, for a pull): one row of the recent-failures table. */
export interface FailureRecord {
  locator: string;
  mount: string;
  /** When it failed (ISO 8601). */
  at: string;
  /** The whole reason in one line. */
  error: string;
  /** Per server, in the order they were tried (pull; empty when no server was asked). */
  servers: ServerFailure[];
}

/** A job a worker is running. */
export interface InFlightJob {
  worker: number;
  locator: string;
  mount: string;
  /** The server a pull is asking now (null: not reported yet, or a trash job). */
  server: string | null;
  /** When the worker was handed the job (ISO 8601). */
  since: string;
  seconds: number;
}

/** Progress of the current list, as /status.json, the metrics and the heartbeat publish it. */
export interface ProgressFigures {
  /** Entries of the current list (a list resumed from Redis: those still unfinished then). */
  total: number;
  /** Entries of the current list finished successfully, and failed (or skipped). */
  done: number;
  failed: number;
  /** Entries finished per second, and bytes of the blocks done per second, over the rate window. */
  entriesPerSecond: number;
  bytesPerSecond: number;
  /** Seconds left at the current rate: null when paused, disabled or no entry finished lately. */
  etaSeconds: number | null;
}

/** The answer to GET /pull and GET /trash. */
export interface ListProgressReport {
  kind: ListName;
  /** Dispatching stopped by POST /KIND/pause (jobs in flight finish). */
  paused: boolean;
  /** False for the trash list while blobTrash is off (kept, not run). */
  enabled: boolean;
  listAgeSeconds: number;
  /** Entries of the current list not started, and running (a replaced list's included). */
  queued: number;
  inProgress: number;
  progress: ProgressFigures;
  /** The window the rates are measured over. */
  rateWindowSeconds: number;
  inFlight: InFlightJob[];
  /** The bounded recent-failures table, newest first (one row per block and mount). */
  failures: { capacity: number; recorded: number; recent: FailureRecord[] };
}

/** The answer to POST /KIND/pause and /KIND/resume. */
export interface PauseState {
  kind: ListName;
  paused: boolean;
}
