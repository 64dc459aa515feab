/**
 * Respawn delay for a worker slot that keeps dying: exponential with jitter, capped, and
 * forgotten after a quiet period (eggjs/cluster, recluster). Pure: the caller passes the clock.
 */
export class RestartBackoff {
  private failures = 0;
  private lastFailureAt = 0;

  constructor(
    private readonly baseMs = 100,
    private readonly maxMs = 10_000,
    private readonly quietMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Record a death at `now` (ms) and return how long to wait before respawning. */
  nextDelay(now: number): number {
    if (now - this.lastFailureAt > this.quietMs) this.failures = 0;
    this.lastFailureAt = now;
    const exp = Math.min(this.maxMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    // Full jitter in the upper half keeps respawns of many slots from synchronising.
    return Math.round(exp / 2 + (this.random() * exp) / 2);
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
