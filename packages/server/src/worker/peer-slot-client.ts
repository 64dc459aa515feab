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

  /**
   * Resolves with the slot's release once granted. When `cancelled` aborts first (the pull's
   * entry left the list) the request is withdrawn with a `peer:release` (the primary drops it
   * from its queue, or frees the slot it granted meanwhile) and the promise rejects.
   */
  acquire(server: string, cancelled?: AbortSignal): Promise<() => void> {
    const id = ++this.#next;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.send({ type: 'peer:release', id });
    };
    return new Promise((resolve, reject) => {
      if (cancelled?.aborted) return reject(new Error('cancelled before a peer slot was asked for'));
      const withdraw = (): void => {
        this.#waiting.delete(id);
        release();
        reject(new Error('cancelled while waiting for a peer slot'));
      };
      cancelled?.addEventListener('abort', withdraw, { once: true });
      this.#waiting.set(id, () => {
        cancelled?.removeEventListener('abort', withdraw);
        resolve(release);
      });
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
