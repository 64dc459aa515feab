import type { LimiterStats } from '../metrics/http-figures.js';

/** A request waiting for a slot; `cancel` removes it (its client went away). */
export interface QueuedTicket {
  cancel(): void;
}

/** What enter() decided: run now, wait in the queue, or refuse (the queue is full). */
export type Admission = { kind: 'run' } | { kind: 'queued'; ticket: QueuedTicket } | { kind: 'rejected' };

/**
 * Admission control for one worker: at most `maxActive` requests run at once, at most
 * `maxQueued` more wait (first come, first served), and anything beyond that is refused at
 * once, so a flood costs a 503 and a few bytes instead of unbounded memory. Waiters of the
 * background lane (peers pulling from us) get a slot only when no client waits.
 *
 * Pure bookkeeping, no I/O: every admitted request must call release() exactly once when it
 * ends. A Set is each lane's queue: it iterates in insertion order, and cancelling a waiter is O(1).
 */
export class RequestLimiter {
  readonly maxActive: number;
  readonly maxQueued: number;
  #active = 0;
  readonly #waiting = new Set<() => void>();
  readonly #background = new Set<() => void>();

  constructor(maxActive: number, maxQueued: number) {
    if (!Number.isSafeInteger(maxActive) || maxActive < 1) throw new RangeError(`maxActive must be >= 1, got ${maxActive}`);
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) throw new RangeError(`maxQueued must be >= 0, got ${maxQueued}`);
    this.maxActive = maxActive;
    this.maxQueued = maxQueued;
  }

  /**
   * Ask for a slot. 'run': the slot is taken, go on. 'queued': `start` is called when a slot
   * is handed over (the slot is then taken on the caller's behalf). 'rejected': nothing taken.
   * `background`: queue behind every client (both lanes share maxQueued); a function is asked
   * only when the request has to queue (telling a peer's pull from a client reads its token).
   */
  enter(start: () => void, background: boolean | (() => boolean) = false): Admission {
    if (this.#active < this.maxActive) {
      this.#active++;
      return { kind: 'run' };
    }
    if (this.#waiting.size + this.#background.size >= this.maxQueued) return { kind: 'rejected' };
    const lane = (typeof background === 'function' ? background() : background) ? this.#background : this.#waiting;
    lane.add(start);
    return { kind: 'queued', ticket: { cancel: () => void lane.delete(start) } };
  }

  /** A running request ended: hand its slot to the oldest client waiter, else the oldest background one, or free it. */
  release(): void {
    const lane = this.#waiting.size > 0 ? this.#waiting : this.#background;
    const next = lane.values().next();
    if (next.done) {
      this.#active = Math.max(0, this.#active - 1);
      return;
    }
    lane.delete(next.value);
    next.value(); // the slot passes straight to the waiter: #active is unchanged
  }

  /** Client requests (not background ones) waiting for a slot: pulls and trash yield while there are any. */
  get clientsQueued(): number {
    return this.#waiting.size;
  }

  stats(): LimiterStats {
    const queued = this.#waiting.size + this.#background.size;
    return { active: this.#active, queued, maxActive: this.maxActive, maxQueued: this.maxQueued };
  }
}
