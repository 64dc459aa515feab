/**
 * The figures the HTTP layer hands to the worker's metrics. Defined here, beside the metrics
 * that count them, so that http/ depends on metrics/ and never the other way round.
 */

/** What is known about a request once it has ended (for metrics). */
export interface RequestSummary {
  method: string;
  /** The status sent, or 499 when the client went away before the response finished. */
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationSeconds: number;
}

/** Which way the server was waiting on the client when it gave up. */
export type IdleDirection = 'receiving' | 'sending';

/** Current figures, for metrics. */
export interface LimiterStats {
  active: number;
  queued: number;
  maxActive: number;
  maxQueued: number;
}
