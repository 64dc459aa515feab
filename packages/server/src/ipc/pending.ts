/** How a request treats a peer that goes away before answering. */
export type PeerGone =
  /** Fail the request (a request to one peer: its answer will never come). */
  | 'fail'
  /** Stop waiting for that peer and settle with the others' answers (a fan-out). */
  | 'skip';

interface Entry<Peer, Reply> {
  waiting: Set<Peer>;
  replies: Reply[];
  onGone: PeerGone;
  resolve: (replies: Reply[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

/** How long a request waits, and what ends the wait early. */
export type RequestOptions<Peer> = { onGone: PeerGone } & (
  | {
      timeoutMs: number;
      /** The error for peers that did not answer in time. */
      timedOut: (silent: Peer[]) => Error;
    }
  /**
   * No timeout: the request waits until it is answered or its peer is gone (a job: a pull
   * may run for minutes, and a worker that dies or retires is forgotten by worker-exits).
   */
  | { timeoutMs: null }
);

/**
 * The requests one side of the IPC channel is waiting on: one id map and one timeout for
 * every request/reply on the channel (the worker's rpc calls, the primary's metrics scrape and
 * jobs), and the one place that forgets a peer that is gone (dead, retired, or the primary itself).
 */
export class PendingRequests<Peer, Reply> {
  #nextId = 1;
  readonly #pending = new Map<number, Entry<Peer, Reply>>();
  /** Requests waiting on each peer (waitingOn is asked on every dispatch: no scan of #pending). */
  readonly #waitingCount = new Map<Peer, number>();
  /** Set once the channel is gone: every later request fails at once instead of timing out. */
  #closedBy: Error | null = null;

  /**
   * Send a request with a fresh id to each of `peers` (`send` returns false when a peer is
   * already gone) and resolve with every answer. With no peer reached it resolves at once
   * with none (a fan-out) or rejects with `unreachable` (a request to one peer).
   */
  request(
    peers: readonly Peer[],
    send: (peer: Peer, id: number) => boolean,
    opts: RequestOptions<Peer>,
    unreachable?: () => Error,
  ): Promise<Reply[]> {
    if (this.#closedBy) return Promise.reject(this.#closedBy);
    const id = this.#nextId++;
    const reached = peers.filter((peer) => send(peer, id));
    if (reached.length === 0) return unreachable ? Promise.reject(unreachable()) : Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const timer =
        opts.timeoutMs === null
          ? null
          : setTimeout(() => {
              const silent = [...(this.#pending.get(id)?.waiting ?? reached)];
              for (const peer of silent) this.#countWaiting(peer, -1);
              this.#pending.delete(id);
              reject(opts.timedOut(silent));
            }, opts.timeoutMs);
      for (const peer of reached) this.#countWaiting(peer, 1);
      this.#pending.set(id, { waiting: new Set(reached), replies: [], onGone: opts.onGone, resolve, reject, timer });
    });
  }

  /** `peer` answered request `id`; an answer nobody waits for (late, or a foreign id) is ignored. */
  answer(id: number, peer: Peer, reply: Reply): void {
    const entry = this.#pending.get(id);
    if (!entry?.waiting.delete(peer)) return;
    this.#countWaiting(peer, -1);
    entry.replies.push(reply);
    if (entry.waiting.size === 0) this.#settle(id, entry, null);
  }

  /** `peer` refused request `id`: the request fails with `err`. */
  refuse(id: number, peer: Peer, err: Error): void {
    const entry = this.#pending.get(id);
    if (entry?.waiting.has(peer)) this.#settle(id, entry, err);
  }

  /**
   * `peer` is gone: what waits on it fails at once, or (a fan-out) settles without it.
   * Returns the ids of the requests it failed, oldest first (a dispatcher's jobs to hand back).
   */
  forget(peer: Peer, err: Error): number[] {
    const failed: number[] = [];
    for (const [id, entry] of [...this.#pending]) {
      if (!entry.waiting.delete(peer)) continue;
      this.#countWaiting(peer, -1);
      if (entry.onGone === 'fail') {
        failed.push(id);
        this.#settle(id, entry, err);
      } else if (entry.waiting.size === 0) this.#settle(id, entry, null);
    }
    return failed;
  }

  /** How many requests wait on an answer from `peer` (a worker's jobs in flight: its credit). */
  waitingOn(peer: Peer): number {
    return this.#waitingCount.get(peer) ?? 0;
  }

  /** The channel itself is gone: fail every request in flight, and every later one. */
  close(err: Error): void {
    this.#closedBy = err;
    for (const [id, entry] of [...this.#pending]) this.#settle(id, entry, err);
  }

  #settle(id: number, entry: Entry<Peer, Reply>, err: Error | null): void {
    this.#pending.delete(id);
    for (const peer of entry.waiting) this.#countWaiting(peer, -1);
    if (entry.timer) clearTimeout(entry.timer);
    if (err) entry.reject(err);
    else entry.resolve(entry.replies);
  }

  #countWaiting(peer: Peer, delta: number): void {
    const n = (this.#waitingCount.get(peer) ?? 0) + delta;
    if (n > 0) this.#waitingCount.set(peer, n);
    else this.#waitingCount.delete(peer);
  }
}
