import type { Limits } from '../config/limits.js';
import type { Logger } from '../log/logger.js';
import { PendingRequests } from '../ipc/pending.js';
import type { WorkerExit, WorkersView as WorkerPool } from '../ipc/workers.js';
import { itemHooks } from './item-hooks.js';
import type { ListKindSpec } from './list-kind-spec.js';
import { itemLocator, type JobOutcome, type ListItem, type ListSnapshot } from './list-wire.js';
import type { VolumeSpace } from './volume-space.js';
import { WorkList, type Job } from './work-list.js';

/** Worker deaths while running one job after which the job is dropped as the likely cause. */
const MAX_DEATHS = 3;

/** The limits in force, read on every pump (they change live). */
export interface LimitsSource {
  current(): Limits;
}

/** A job sent to a worker: what the request of that id carries. */
interface SentJob {
  job: Job<ListItem>;
  workerId: number;
  index: number;
  /** When it was sent (ms since the epoch). */
  since: number;
  /** The server the job is asking now, when its worker said (a pull's `job:trying`). */
  server?: string;
}

/** How a job ended, for observers (the list monitor): a poison pill dropped counts as a failure. */
export type OutcomeListener = (job: Job<ListItem>, outcome: JobOutcome) => void;

/**
 * Feeds one WorkList to the workers by credit: a worker gets a job only into a free slot and
 * only for a volume it owns. Results free the slot and pull the next job. A job is a request
 * on the IPC channel whose reply is `job:done`, with no timeout (a pull may run for minutes):
 * the requests a worker has not answered are its slots in use. A gone worker's jobs go back
 * to the head of the list (worker-exits calls takeBack); a replaced list takes effect for
 * everything not yet started.
 */
export class Dispatcher {
  readonly list: WorkList<ListItem>;
  /** The server lists the items of the current list index (pull; empty for trash). */
  private serverLists: ListSnapshot['serverLists'] = [];
  /** The jobs in flight, by worker process (cluster worker id): who has not answered what. */
  private readonly pending = new PendingRequests<number, JobOutcome>();
  /** The job each pending request carries, by request id. */
  private readonly sent = new Map<number, SentJob>();
  private enabled: boolean;
  /** POST /pull/pause (or /trash/pause): no job is handed out; the list and jobs in flight go on. */
  private paused = false;
  private readonly outcomeListeners: OutcomeListener[] = [];
  /** Job id -> how many workers died while running it (see withoutPoison). */
  private readonly deaths = new Map<number, number>();
  /** Hears a worker process start its first job in flight (true, before the job is sent) and finish its last (false). */
  private busyListener: (workerId: number, busy: boolean) => void = () => undefined;

  constructor(
    private readonly pool: WorkerPool,
    private readonly spec: ListKindSpec,
    space: VolumeSpace,
    private readonly log: Logger,
    private readonly limits: LimitsSource,
  ) {
    this.list = new WorkList(itemHooks(log, spec, (item) => spec.route(item, pool.currentConfig, space)));
    this.enabled = spec.enabled(pool.currentConfig);
    pool.on('ready', () => this.pump());
  }

  /** Replace the list; jobs in flight whose entry it no longer has are told to stop early. */
  replace(list: ListSnapshot): void {
    this.serverLists = list.serverLists;
    this.list.replace(list.items);
    this.pump();
    void this.cancelUnwanted();
  }

  /**
   * Send `job:cancel` for the jobs in flight that the current list no longer has, looking for
   * them in steps (yielding between them) so that a list of millions never blocks the primary.
   * A newer list abandons the search and runs its own.
   */
  private async cancelUnwanted(): Promise<void> {
    const generation = this.list.currentGeneration;
    const scan = this.list.unwantedInFlight();
    let step = scan.next();
    while (!step.done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.list.currentGeneration !== generation) return;
      step = scan.next();
    }
    const unwanted = new Set(step.value);
    if (unwanted.size === 0) return;
    for (const [id, { job, workerId }] of this.sent)
      if (unwanted.has(job)) this.pool.send(workerId, { type: 'job:cancel', id, kind: this.spec.kind });
  }

  /** Stop or resume handing out jobs (trash lists are kept but not run when blobTrash is off). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.pump();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Pause or resume dispatching (the operator's switch, apart from `enabled`). */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.pump();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  onOutcome(listener: OutcomeListener): void {
    this.outcomeListeners.push(listener);
  }

  /** The jobs in flight: worker index, job, and since when. */
  inFlight(): Array<Readonly<SentJob>> {
    return [...this.sent.values()];
  }

  /** Follow which worker processes have jobs in flight (the pull bandwidth is shared among them). */
  onBusy(listener: (workerId: number, busy: boolean) => void): void {
    this.busyListener = listener;
  }

  /** Jobs in flight per worker index, for /status.json. */
  runningByWorker(): Map<number, Job<ListItem>[]> {
    const byIndex = new Map<number, Job<ListItem>[]>();
    for (const { index, job } of this.sent.values()) {
      const jobs = byIndex.get(index);
      if (jobs) jobs.push(job);
      else byIndex.set(index, [job]);
    }
    return byIndex;
  }

  /** Hand out jobs to every worker with a free slot. Cheap when there is nothing to do. */
  pump(): void {
    if (!this.enabled || this.paused) return;
    for (const { index, workerId, volumes } of this.pool.listening()) {
      const limit = this.spec.concurrency(this.limits.current());
      while (this.pending.waitingOn(workerId) < limit) {
        const job = this.list.take(volumes);
        if (!job) break;
        if (!this.send(job, workerId, index)) {
          // Not delivered (the worker is gone; its 'died' may already have fired, e.g. when
          // this pump runs from that very event): put the job back now, or it would sit
          // "in progress" forever.
          this.list.requeue([job.id]);
          break;
        }
      }
    }
  }

  /** Send `job` to worker process `workerId` as a request answered by `job:done`; false if not delivered. */
  private send(job: Job<ListItem>, workerId: number, index: number): boolean {
    let delivered = false;
    if (this.pending.waitingOn(workerId) === 0) this.busyListener(workerId, true);
    const reply = this.pending.request(
      [workerId],
      (peer, id) => {
        delivered = this.pool.send(peer, { type: 'job', id, job: this.spec.toJob(job.entry, job.volume, this.serverLists) });
        if (delivered) this.sent.set(id, { job, workerId, index, since: Date.now() });
        return delivered;
      },
      { timeoutMs: null, onGone: 'fail' },
      () => new Error('worker gone'),
    );
    // Not delivered: the worker is gone (its exit may already have been handled), so not busy either.
    if (!delivered && this.pending.waitingOn(workerId) === 0) this.busyListener(workerId, false);
    reply.then(
      ([outcome]) => {
        if (outcome) this.onDone(job, outcome);
      },
      // Not delivered (requeued by pump), or the worker is gone: takeBack has handed it back.
      () => undefined,
    );
    return delivered;
  }

  /** Worker process `workerId` answered job request `id` (a `job:done`). */
  answer(workerId: number, id: number, outcome: JobOutcome): void {
    if (this.sent.get(id)?.workerId !== workerId) return; // late (the worker was forgotten) or foreign
    this.sent.delete(id);
    this.pending.answer(id, workerId, outcome);
    if (this.pending.waitingOn(workerId) === 0) this.busyListener(workerId, false);
  }

  /** Worker process `workerId` says job request `id` now asks `server`. */
  trying(workerId: number, id: number, server: string): void {
    const sent = this.sent.get(id);
    if (sent?.workerId === workerId) sent.server = server;
  }

  private onDone(job: Job<ListItem>, outcome: JobOutcome): void {
    this.deaths.delete(job.id);
    this.list.complete(job.id, outcome.ok, !outcome.ok && outcome.cancelled === true);
    for (const listener of this.outcomeListeners) listener(job, outcome);
    this.pump();
  }

  /**
   * Worker process `workerId` is gone (called by primary/worker-exits.ts): the jobs it never
   * answered go back to the head of the list, a death counting against each (poison pill).
   */
  takeBack(workerId: number, how: WorkerExit): void {
    const unanswered = this.pending.forget(workerId, new Error(`worker ${how}`));
    this.busyListener(workerId, false);
    const jobs = new Map<number, Job<ListItem>>();
    let index: number | undefined;
    for (const id of unanswered) {
      const sent = this.sent.get(id);
      this.sent.delete(id);
      if (!sent) continue;
      jobs.set(sent.job.id, sent.job);
      index = sent.index;
    }
    if (jobs.size > 0) {
      const why = how === 'died' ? 'dead' : 'retired';
      const back = how === 'died' ? this.withoutPoison(jobs) : [...jobs.keys()];
      this.log.warn(`requeueing ${this.spec.kind} jobs of a ${why} worker`, { workerIndex: index, count: back.length });
      this.list.requeue(back);
    }
    this.pump();
  }

  /**
   * The jobs of a dead worker that may run again. A job whose workers died MAX_DEATHS times
   * while running it is taken to be what kills them (a poison pill): it fails and is logged,
   * instead of crashing every replacement in turn.
   */
  private withoutPoison(jobs: Map<number, Job<ListItem>>): number[] {
    const again: number[] = [];
    for (const [id, job] of jobs) {
      const deaths = (this.deaths.get(id) ?? 0) + 1;
      if (deaths < MAX_DEATHS) {
        this.deaths.set(id, deaths);
        again.push(id);
        continue;
      }
      this.deaths.delete(id);
      this.log.error(`${this.spec.kind} job dropped: its worker died every time it ran`, {
        locator: itemLocator(job.entry),
        mount: job.volume,
        deaths,
      });
      this.list.complete(id, false);
      for (const listener of this.outcomeListeners)
        listener(job, { ok: false, error: `its worker died every time it ran (${deaths} times)` });
    }
    return again;
  }
}
