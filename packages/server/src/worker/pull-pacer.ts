import type { PacingFigures } from '../metrics/pacing-metrics.js';
import type { PullPacing } from '../pull/pacing.js';
import { TokenBucket } from '../pull/token-bucket.js';
import type { PeerSlotClient } from './peer-slot-client.js';
import type { YieldGate } from './yield-gate.js';

/**
 * Longest a pull stream is held at a closed yield gate before it may take one more chunk: a
 * peer cuts a GET whose client takes nothing for its requestIdleTimeout, so a held pull still
 * moves (about 64 KiB a second) while clients keep this worker saturated.
 */
const MAX_YIELD_HOLD_MS = 1_000;

/**
 * This worker's pull pacing (README "Pull pacing"): its share of pullBandwidth (a token bucket
 * every pull stream of the worker draws from; the primary sends the share), yielding to
 * clients (the gate, when yieldToClients is on), and peer slots (asked of the primary while
 * pullPerPeerConcurrency > 0). Counts what the metrics report.
 */
export class PullPacer implements PullPacing {
  readonly #bucket = new TokenBucket();
  #perPeerConcurrency = 0;
  #pulledBytes = 0;
  #bandwidthWaiters = 0;
  #bandwidthMs = 0;
  #waitingSince = 0;

  constructor(
    private readonly gate: YieldGate | null,
    private readonly slots: PeerSlotClient,
  ) {}

  /** The primary's `pull:pacing`. */
  set(bandwidth: number, perPeerConcurrency: number): void {
    this.#bucket.setRate(bandwidth, Date.now());
    this.#perPeerConcurrency = perPeerConcurrency;
  }

  hold(bytes: number): Promise<void> | null {
    this.#pulledBytes += bytes;
    const waitMs = this.#bucket.take(bytes, Date.now());
    const yielding = this.gate?.closed === true;
    return waitMs === 0 && !yielding ? null : this.#wait(waitMs, yielding);
  }

  peerSlot(server: string, cancelled?: AbortSignal): Promise<() => void> | null {
    return this.#perPeerConcurrency > 0 ? this.slots.acquire(server, cancelled) : null;
  }

  figures(): PacingFigures {
    return {
      pulledBytes: this.#pulledBytes,
      yieldedSeconds: this.gate?.throttledSeconds ?? 0,
      bandwidthSeconds: this.#bandwidthMs / 1000,
      yielding: this.gate?.closed === true,
    };
  }

  async #wait(waitMs: number, yielding: boolean): Promise<void> {
    if (yielding) await this.gate?.whenOpen(MAX_YIELD_HOLD_MS);
    if (waitMs === 0) return;
    if (this.#bandwidthWaiters++ === 0) this.#waitingSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    if (--this.#bandwidthWaiters === 0) this.#bandwidthMs += Date.now() - this.#waitingSince;
  }
}
