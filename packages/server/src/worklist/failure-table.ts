import type { FailureRecord } from '../list-progress.js';

/**
 * The recent-failures table of a list: the last `capacity` entries that failed, one row per
 * block and mount (a block failing again moves to the front with its new reasons), so an
 * operator sees why replication does not converge without grepping logs. Bounded memory:
 * the oldest row goes when a new one would exceed the capacity.
 */
export class FailureTable {
  /** Insertion order is age order: the first key is the oldest row. */
  private readonly rows = new Map<string, FailureRecord>();
  /** Failures recorded since start (rows replaced or dropped included). */
  private total = 0;

  constructor(readonly capacity: number) {}

  add(record: FailureRecord): void {
    const key = `${record.locator}/${record.mount}`;
    this.rows.delete(key);
    this.rows.set(key, record);
    this.total++;
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  /** Newest first. */
  view(): { capacity: number; recorded: number; recent: FailureRecord[] } {
    return { capacity: this.capacity, recorded: this.total, recent: [...this.rows.values()].reverse() };
  }
}
