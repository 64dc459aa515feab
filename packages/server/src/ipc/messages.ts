import type { KeepstoreConfig } from '../config/config.js';
import type { LimitsInForce, LimitsPatch } from '../config/limits.js';
import type { ListProgressReport, PauseState } from '../list-progress.js';
import type { ClusterStatus } from '../status.js';
import type { JobOutcome, JobSpec, ListBatch, ListKind } from '../worklist/list-wire.js';
import type { MetricsSnapshot } from '../metrics/worker-metrics.js';

/**
 * Every message on the primary <-> worker channel. One discriminated union per direction;
 * receivers call the guard first (other libraries, e.g. prom-client, share the channel and
 * their messages are ignored) and then dispatch through one handler table per side.
 */
export type PrimaryToWorker =
  /** `volumes`: the volumes this worker runs jobs for; `sweeps`: those whose trash it sweeps (one sweeper per volume). */
  | { type: 'init'; index: number; config: KeepstoreConfig; volumes: string[]; sweeps: string[] }
  | { type: 'shutdown' }
  | { type: 'rpc:reply'; id: number; result: RpcResult }
  /**
   * Run one pull or trash job; the worker answers with `job:done` carrying the same id and kind
   * (ids are per kind: a pull and a trash job may share one).
   */
  | { type: 'job'; id: number; job: JobSpec }
  /** The job's entry is no longer on the list: stop at the next step boundary (a pull: before its next server). */
  | { type: 'job:cancel'; id: number; kind: ListKind }
  /** A scrape: answer with `metrics:report` carrying the same id. */
  | { type: 'metrics:collect'; id: number }
  /**
   * How this worker paces its pulls (sent before its first pull job, and again when they
   * change): `bandwidth` its share of pullBandwidth in bytes/s (0: unlimited), and whether to
   * ask for a peer slot (`perPeerConcurrency` > 0) before each transfer.
   */
  | { type: 'pull:pacing'; bandwidth: number; perPeerConcurrency: number }
  /** Peer slot request `id` (a `peer:acquire`) is granted: the transfer may start. */
  | { type: 'peer:granted'; id: number };

export type WorkerToPrimary =
  /** The worker's message handler is installed: send `init` now (earlier messages could be lost). */
  | { type: 'hello' }
  | { type: 'listening' }
  | { type: 'rpc'; id: number; call: RpcCall }
  /** Part of a list upload opened with rpc `list:begin`; sent in order before `list:commit`. */
  | { type: 'list:batch'; uploadId: number; batch: ListBatch }
  /** The list of an open upload was refused mid-stream (400/413) or its client left: drop it. */
  | { type: 'list:abort'; uploadId: number }
  | { type: 'job:done'; id: number; kind: ListKind; outcome: JobOutcome }
  /** Job `id` of `kind` is now asking `server` (a pull, at each server it tries): GET /pull shows it. */
  | { type: 'job:trying'; id: number; kind: ListKind; server: string }
  | { type: 'metrics:report'; id: number; metrics: MetricsSnapshot }
  /** Ask for a transfer slot from peer `server` (pullPerPeerConcurrency); answered by `peer:granted`. */
  | { type: 'peer:acquire'; id: number; server: string }
  /** The transfer of slot request `id` is over, or no longer waits: the slot goes back. */
  | { type: 'peer:release'; id: number }
  /** This worker started or stopped yielding to its clients (for /status.json). */
  | { type: 'pull:throttled'; throttled: boolean };

/** Requests a worker makes of the primary, answered by one `rpc:reply` with the same id. */
export type RpcCall =
  | { method: 'status' }
  | { method: 'list:begin'; kind: ListKind }
  | { method: 'list:commit'; uploadId: number; count: number }
  /** The whole server's metrics, as Prometheus text. */
  | { method: 'metrics' }
  /** GET /pull, GET /trash: the list's progress, jobs in flight, recent failures. */
  | { method: 'list:progress'; kind: ListKind }
  /** POST /KIND/pause (`paused` true) and /KIND/resume: answered once the state is applied (and stored in Redis, if any). */
  | { method: 'list:pause'; kind: ListKind; paused: boolean }
  /** The limits in force, after applying `set` (a validated PUT /pull/limits) when given. */
  | { method: 'limits'; set: LimitsPatch | null };

export type RpcResult = { ok: true; value: RpcValue } | { ok: false; status: number; message: string };

export type RpcValue =
  | { method: 'status'; status: ClusterStatus }
  | { method: 'list:begin'; uploadId: number }
  | { method: 'list:commit'; accepted: number }
  | { method: 'metrics'; text: string; contentType: string }
  | { method: 'list:progress'; report: ListProgressReport }
  | { method: 'list:pause'; state: PauseState }
  | { method: 'limits'; limits: LimitsInForce };

const PRIMARY_TYPES = new Set<string>([
  'init',
  'shutdown',
  'rpc:reply',
  'job',
  'job:cancel',
  'metrics:collect',
  'pull:pacing',
  'peer:granted',
] satisfies PrimaryToWorker['type'][]);
const WORKER_TYPES = new Set<string>([
  'hello',
  'listening',
  'rpc',
  'list:batch',
  'list:abort',
  'job:done',
  'job:trying',
  'metrics:report',
  'peer:acquire',
  'peer:release',
  'pull:throttled',
] satisfies WorkerToPrimary['type'][]);

function hasType(msg: unknown, types: Set<string>): boolean {
  return typeof msg === 'object' && msg !== null && types.has((msg as { type?: unknown }).type as string);
}

export function isPrimaryToWorker(msg: unknown): msg is PrimaryToWorker {
  return hasType(msg, PRIMARY_TYPES);
}

export function isWorkerToPrimary(msg: unknown): msg is WorkerToPrimary {
  return hasType(msg, WORKER_TYPES);
}

/**
 * One handler per message type of a direction: a table that misses a type (a new message
 * nobody handles) fails to compile. `From` is what the receiver knows of the sender (the
 * primary: which worker process sent it, and how to answer that very process).
 */
export type MessageHandlers<M extends { type: string }, From = void> = {
  [T in M['type']]: (msg: Extract<M, { type: T }>, from: From) => void;
};

/** Hand `msg` (from `from`) to its handler in `handlers`. */
export function dispatchMessage<M extends { type: string }, From = void>(handlers: MessageHandlers<M, From>, msg: M, from: From): void {
  (handlers[msg.type as M['type']] as (m: M, from: From) => void)(msg, from);
}
