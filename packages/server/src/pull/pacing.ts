/**
 * What a pull's transfer asks of its worker's pacing (README "Pull pacing"); the worker
 * implements it (worker/pull-pacer.ts), a bare executor in a test runs without one.
 */
export interface PullPacing {
  /**
   * `bytes` more came from a peer: null to pass them on at once, else a promise to wait for
   * first (the bandwidth share is spent, or the worker is yielding to its clients).
   */
  hold(bytes: number): Promise<void> | null;
  /**
   * A transfer slot from peer `server` (pullPerPeerConcurrency): null when unlimited, else its
   * release once granted. Rejects when `cancelled` aborts first (the request leaves the queue).
   */
  peerSlot(server: string, cancelled?: AbortSignal): Promise<() => void> | null;
}
