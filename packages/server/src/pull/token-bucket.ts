/**
 * The burst a bucket allows: one second's worth, at least one 64 KiB socket read. A small one
 * loses rate on a busy machine: a timer that fires late finds the bucket full, and the refill
 * beyond its capacity is lost (with a tenth of a second's, bench:pacing held 77% of a 4 MiB/s
 * limit at load average 40).
 */
const MIN_BURST_BYTES = 64 * 1024;

/**
 * A token bucket for bytes per second, shared by every pull stream of a worker. take() spends
 * at once and may run into debt: the caller waits the time the debt takes to refill, so
 * streams are served in the order they asked and the rate holds over any window longer than
 * the burst. A rate of 0 is unlimited. Pure: the clock is a parameter.
 */
export class TokenBucket {
  #rate = 0;
  #tokens = 0;
  #at = 0;

  /** Bytes per second (0: unlimited); what was saved beyond the new burst is dropped. */
  setRate(bytesPerSecond: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#rate = bytesPerSecond;
    this.#tokens = Math.min(this.#tokens, this.#burst());
  }

  get rate(): number {
    return this.#rate;
  }

  /** Spend `bytes`; returns how long to wait before passing them on (ms, 0: now). */
  take(bytes: number, nowMs: number): number {
    if (this.#rate === 0) return 0;
    this.#refill(nowMs);
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#rate) * 1000;
  }

  #burst(): number {
    return Math.max(MIN_BURST_BYTES, this.#rate);
  }

  #refill(nowMs: number): void {
    if (this.#rate > 0) this.#tokens = Math.min(this.#burst(), this.#tokens + ((nowMs - this.#at) / 1000) * this.#rate);
    this.#at = nowMs;
  }
}
