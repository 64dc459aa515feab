/**
 * Entries and bytes finished per second over the last `windowSeconds`, in one-second buckets
 * (a ring: memory is fixed, recording is O(1)). Since a reset (a new list) the rate is over the
 * time elapsed since, not the whole window, so a list a few seconds old is not under-rated.
 */
export class RateWindow {
  private readonly entries: number[];
  private readonly bytes: number[];
  /** The second (since the epoch) each bucket holds. */
  private readonly second: number[];
  private since: number;

  constructor(
    readonly windowSeconds: number,
    now = Date.now(),
  ) {
    this.entries = new Array<number>(windowSeconds).fill(0);
    this.bytes = new Array<number>(windowSeconds).fill(0);
    this.second = new Array<number>(windowSeconds).fill(-1);
    this.since = now;
  }

  /** Forget everything: rates start again from `now`. */
  reset(now = Date.now()): void {
    this.second.fill(-1);
    this.since = now;
  }

  record(entries: number, bytes: number, now = Date.now()): void {
    const s = Math.floor(now / 1000);
    const i = s % this.windowSeconds;
    if (this.second[i] !== s) {
      this.second[i] = s;
      this.entries[i] = 0;
      this.bytes[i] = 0;
    }
    this.entries[i]! += entries;
    this.bytes[i]! += bytes;
  }

  rates(now = Date.now()): { entriesPerSecond: number; bytesPerSecond: number } {
    const s = Math.floor(now / 1000);
    let entries = 0;
    let bytes = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      if (this.second[i]! <= s - this.windowSeconds) continue; // stale (or never used: -1)
      entries += this.entries[i]!;
      bytes += this.bytes[i]!;
    }
    // At least a second: a burst in the first milliseconds is not a rate of thousands.
    const span = Math.min(this.windowSeconds, Math.max(1, (now - this.since) / 1000));
    return { entriesPerSecond: round(entries / span), bytesPerSecond: Math.round(bytes / span) };
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
