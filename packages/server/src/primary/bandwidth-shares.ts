import type { Limits } from '../config/limits.js';

/** What a worker is told about pacing (the `pull:pacing` message without its type). */
export interface WorkerPacing {
  bandwidth: number;
  perPeerConcurrency: number;
}

/**
 * Shares pullBandwidth fairly among the worker processes that have pulls in flight: each gets
 * total / their number (0 stays unlimited). A worker hears its share before its first pull
 * job (the dispatcher reports it busy before sending the job, and the channel keeps the
 * order), and again whenever the share changes because a worker starts or stops pulling or
 * the limit changes. Only changes are sent: a worker pulling one block after another costs
 * no messages.
 */
export class BandwidthShares {
  readonly #busy = new Set<number>();
  /** What each worker process was last told. */
  readonly #told = new Map<number, WorkerPacing>();

  constructor(
    private readonly limits: () => Limits,
    private readonly tell: (workerId: number, pacing: WorkerPacing) => void,
  ) {}

  busy(workerId: number, busy: boolean): void {
    if (busy === this.#busy.has(workerId)) return;
    if (busy) this.#busy.add(workerId);
    else this.#busy.delete(workerId);
    this.update();
  }

  /** Worker process `workerId` is gone. */
  forgetWorker(workerId: number): void {
    this.#told.delete(workerId);
    this.busy(workerId, false);
  }

  /** Tell every pulling worker whose pacing changed (call when the limits change too). */
  update(): void {
    const pacing = this.#pacing();
    for (const workerId of this.#busy) {
      const told = this.#told.get(workerId);
      if (told?.bandwidth === pacing.bandwidth && told.perPeerConcurrency === pacing.perPeerConcurrency) continue;
      this.#told.set(workerId, pacing);
      this.tell(workerId, pacing);
    }
  }

  /** Whether a pullBandwidth limit is being shared by workers pulling now. */
  get limiting(): boolean {
    return this.#busy.size > 0 && this.limits().pullBandwidth > 0;
  }

  /** The share worker process `workerId` pulls at (bytes/s; 0: unlimited or not pulling). */
  shareOf(workerId: number): number {
    return this.#busy.has(workerId) ? (this.#told.get(workerId)?.bandwidth ?? 0) : 0;
  }

  #pacing(): WorkerPacing {
    const { pullBandwidth, pullPerPeerConcurrency } = this.limits();
    const bandwidth = pullBandwidth === 0 ? 0 : Math.max(1, Math.floor(pullBandwidth / Math.max(1, this.#busy.size)));
    return { bandwidth, perPeerConcurrency: pullPerPeerConcurrency };
  }
}
