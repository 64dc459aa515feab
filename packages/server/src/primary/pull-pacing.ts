import type { Workers } from '../ipc/workers.js';
import type { PacingStatus } from '../status.js';
import type { ListKind } from '../worklist/list-wire.js';
import { BandwidthShares } from './bandwidth-shares.js';
import type { LiveLimits } from './live-limits.js';
import { PeerSlots } from './peer-slots.js';

/**
 * The primary's side of pull pacing (README "Pull pacing"): the bandwidth shares, the peer
 * slots, and which workers are yielding to their clients, for /status.json and the metrics.
 */
export class PullPacing {
  readonly shares: BandwidthShares;
  readonly slots: PeerSlots;
  /** Worker processes yielding to their clients now (`pull:throttled`). */
  readonly #throttled = new Set<number>();

  constructor(
    private readonly pool: Workers,
    private readonly limits: LiveLimits,
  ) {
    this.shares = new BandwidthShares(
      () => limits.current(),
      (workerId, pacing) => pool.send(workerId, { type: 'pull:pacing', ...pacing }),
    );
    this.slots = new PeerSlots(
      () => limits.current().pullPerPeerConcurrency,
      (workerId, id) => pool.send(workerId, { type: 'peer:granted', id }),
    );
    limits.onChange(() => {
      this.shares.update();
      this.slots.pump();
    });
  }

  throttled(workerId: number, throttled: boolean): void {
    if (throttled) this.#throttled.add(workerId);
    else this.#throttled.delete(workerId);
  }

  /**
   * Whether pacing holds list `kind` back now (the fleet view's "throttled"): a worker yields
   * to its clients (pull and trash jobs wait), or, for pulls, a pullBandwidth limit is shared
   * by the workers pulling.
   */
  holdsBack(kind: ListKind): boolean {
    return this.#throttled.size > 0 || (kind === 'pull' && this.shares.limiting);
  }

  /** Worker process `workerId` is gone: its share, slots and state go with it. */
  forgetWorker(workerId: number): void {
    this.#throttled.delete(workerId);
    this.shares.forgetWorker(workerId);
    this.slots.forgetWorker(workerId);
  }

  status(): PacingStatus {
    return {
      limits: this.limits.view(),
      peerSlots: this.slots.inUse(),
      workers: this.pool.listening().map(({ index, workerId }) => ({
        index,
        throttled: this.#throttled.has(workerId),
        bandwidthShare: this.shares.shareOf(workerId),
      })),
    };
  }
}
