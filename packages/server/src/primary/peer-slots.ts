/** A slot request: worker process and its request id. */
type Holder = `${number}:${number}`;

const holder = (workerId: number, id: number): Holder => `${workerId}:${id}`;

/**
 * pullPerPeerConcurrency across the whole server: at most `limit()` transfers from one peer
 * server at once, whichever workers run them. Workers ask (`peer:acquire`) before each
 * transfer and give the slot back when it ends (`peer:release`); waiters are served first
 * come, first served. A gone worker's slots and requests are dropped (forgetWorker), so a
 * SIGKILLed worker leaks nothing. A limit of 0 grants at once.
 */
export class PeerSlots {
  /** Slots held: holder -> peer server. */
  readonly #held = new Map<Holder, string>();
  readonly #inUse = new Map<string, number>();
  /** Requests waiting, per peer server, oldest first. */
  readonly #waiting = new Map<string, Map<Holder, { workerId: number; id: number }>>();

  constructor(
    private readonly limit: () => number,
    private readonly grant: (workerId: number, id: number) => void,
  ) {}

  acquire(workerId: number, id: number, server: string): void {
    const key = holder(workerId, id);
    if (this.#free(server)) return this.#take(server, key, workerId, id);
    let queue = this.#waiting.get(server);
    if (!queue) this.#waiting.set(server, (queue = new Map()));
    queue.set(key, { workerId, id });
  }

  release(workerId: number, id: number): void {
    const key = holder(workerId, id);
    const server = this.#held.get(key);
    if (server === undefined) {
      for (const [peer, queue] of this.#waiting) if (queue.delete(key) && queue.size === 0) this.#waiting.delete(peer);
      return;
    }
    this.#held.delete(key);
    const left = (this.#inUse.get(server) ?? 1) - 1;
    if (left > 0) this.#inUse.set(server, left);
    else this.#inUse.delete(server);
    this.pump();
  }

  /** Worker process `workerId` is gone: its slots go back, its requests leave the queues. */
  forgetWorker(workerId: number): void {
    const prefix = `${workerId}:`;
    for (const queue of this.#waiting.values()) for (const key of queue.keys()) if (key.startsWith(prefix)) queue.delete(key);
    for (const [key] of [...this.#held]) if (key.startsWith(prefix)) this.release(workerId, Number(key.slice(prefix.length)));
    this.pump();
  }

  /** Grant what the limit allows now (after a release, or a raised or lifted limit). */
  pump(): void {
    for (const [server, queue] of this.#waiting) {
      for (const [key, { workerId, id }] of queue) {
        if (!this.#free(server)) break;
        queue.delete(key);
        this.#take(server, key, workerId, id);
      }
      if (queue.size === 0) this.#waiting.delete(server);
    }
  }

  /** Slots in use per peer server (only those with one). */
  inUse(): Record<string, number> {
    return Object.fromEntries(this.#inUse);
  }

  #free(server: string): boolean {
    const limit = this.limit();
    return limit === 0 || (this.#inUse.get(server) ?? 0) < limit;
  }

  #take(server: string, key: Holder, workerId: number, id: number): void {
    this.#held.set(key, server);
    this.#inUse.set(server, (this.#inUse.get(server) ?? 0) + 1);
    this.grant(workerId, id);
  }
}
