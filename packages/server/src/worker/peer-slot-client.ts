import type { WorkerToPrimary } from '../ipc/messages.js';

/**
 * The worker's side of pullPerPeerConcurrency: ask the primary for a slot from a peer
 * (`peer:acquire`), start the transfer when it is granted (`peer:granted`), give it back
 * (`peer:release`, exactly once) when the transfer ends. The primary holds the count across
 * all workers and drops a dead worker's slots.
 */
export class PeerSlotClient {
  #next = 0;
  readonly #waiting = new Map<number, () => void>();

  constructor(private readonly send: (msg: WorkerToPrimary) => void) {}

  /** Resolves with the slot's release once granted. */
  acquire(server: string): Promise<() => void> {
    const id = ++this.#next;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.send({ type: 'peer:release', id });
    };
    return new Promise((resolve) => {
      this.#waiting.set(id, () => resolve(release));
      this.send({ type: 'peer:acquire', id, server });
    });
  }

  granted(id: number): void {
    const grant = this.#waiting.get(id);
    this.#waiting.delete(id);
    grant?.();
  }

  /** The primary is gone: nobody counts any more, so every waiter goes ahead. */
  close(): void {
    for (const grant of this.#waiting.values()) grant();
    this.#waiting.clear();
  }
}
