import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IdleDirection, LimiterStats, RequestSummary } from './http-figures.js';
import type { MeteredVolume } from './metered-volume.js';

/** Distinct peers with their own `keepstore_pull_peer_failures_total` series; the rest are `other`. */
export const MAX_PEERS_LABELLED = 1000;
const OTHER_PEERS = 'other';

/** One process's metrics as prom-client serialises them; the primary sums these across workers. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Request durations, seconds: from a cached 4 KiB GET to a 64 MiB transfer over a slow link. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

interface RequestCount {
  labels: { method: string; code: string };
  count: number;
}

/**
 * The metrics of one worker process: HTTP requests, bytes, volume operations and errors,
 * admission-control figures, and the Node process metrics. Counting on the hot path is a
 * plain increment (or one histogram observation per request); label values come only from
 * bounded sets (HTTP method, status, volume uuid, operation, error code), never from
 * locators. The series are filled in by collect() callbacks when the primary asks.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #requests = new Map<string, RequestCount>();
  #bytesIn = 0;
  #bytesOut = 0;
  readonly #idleTimeouts: Counter<'direction'>;
  readonly #peerFailures: Counter<'peer'>;
  readonly #peersLabelled = new Set<string>();
  readonly #duration: Histogram<'method' | 'code'>;
  #volumes: readonly MeteredVolume[] = [];
  readonly #corruptCopies = new Map<string, number>();
  #limiter: (() => LimiterStats) | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.#duration = new Histogram({
      name: 'keepstore_http_request_duration_seconds',
      help: 'Time from request start to the end of the response, seconds.',
      labelNames: ['method', 'code'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.#idleTimeouts = new Counter({
      name: 'keepstore_http_idle_timeouts_total',
      help: 'Requests cut because their client made no progress for requestIdleTimeout, by direction.',
      labelNames: ['direction'],
      registers: [this.registry],
    });
    // Labelled by the server URL as pull lists name it: the cluster's keepstores (bounded: see countPullPeerFailure).
    this.#peerFailures = new Counter({
      name: 'keepstore_pull_peer_failures_total',
      help: 'Pull attempts a peer failed (unreachable, timeout, non-200, wrong or short body), by server URL.',
      labelNames: ['peer'],
      registers: [this.registry],
    });
    this.#httpCounters();
    this.#volumeCounters();
    this.#limiterGauges();
  }

  /** Record one finished request (called by the access log middleware). */
  readonly observeRequest = (s: RequestSummary): void => {
    const code = String(s.status);
    const key = `${s.method} ${code}`;
    const entry = this.#requests.get(key);
    if (entry) entry.count++;
    else this.#requests.set(key, { labels: { method: s.method, code }, count: 1 });
    this.#bytesIn += s.bytesIn;
    this.#bytesOut += s.bytesOut;
    this.#duration.observe({ method: s.method, code }, s.durationSeconds);
  };

  /** Count one request cut by the idle timeout. */
  readonly countIdleTimeout = (direction: IdleDirection): void => {
    this.#idleTimeouts.inc({ direction });
  };

  /**
   * A pull asked `peer` for a block and did not get it (the pull goes on to the next server).
   * Past MAX_PEERS_LABELLED distinct peers (a list naming servers by the thousand is not a
   * cluster's keepstores), the rest count under `peer="other"`: a series per URL would grow
   * every scrape without bound.
   */
  countPullPeerFailure(peer: string): void {
    if (!this.#peersLabelled.has(peer)) {
      if (this.#peersLabelled.size >= MAX_PEERS_LABELLED) return this.#peerFailures.inc({ peer: OTHER_PEERS });
      this.#peersLabelled.add(peer);
    }
    this.#peerFailures.inc({ peer });
  }

  /** The volumes whose operations are reported (the worker's VolumeSet). */
  trackVolumes(volumes: readonly MeteredVolume[]): void {
    this.#volumes = volumes;
  }

  /** A stored copy on `mount` was found corrupt (see corrupt-copy.ts). */
  countCorruptCopy(mount: string): void {
    this.#corruptCopies.set(mount, (this.#corruptCopies.get(mount) ?? 0) + 1);
  }

  /** Where the admission-control gauges read from. */
  trackLimiter(stats: () => LimiterStats): void {
    this.#limiter = stats;
  }

  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  #httpCounters(): void {
    const requests = this.#requests;
    new Counter({
      name: 'keepstore_http_requests_total',
      help: 'HTTP requests answered, by method and status code (499: the client went away first).',
      labelNames: ['method', 'code'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, count } of requests.values()) this.inc(labels, count);
      },
    });
    const bytes = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    bytes('keepstore_http_bytes_received_total', 'Request body bytes received.', () => this.#bytesIn);
    bytes('keepstore_http_bytes_sent_total', 'Response body bytes sent.', () => this.#bytesOut);
  }

  #volumeCounters(): void {
    const volumes = (): readonly MeteredVolume[] => this.#volumes;
    // One counter per volume and key: operations by name, errors by code.
    const perVolume = (name: string, help: string, label: string, counts: (v: MeteredVolume) => Map<string, number>): void => {
      new Counter({
        name,
        help,
        labelNames: ['mount', label],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const v of volumes()) {
            for (const [key, n] of counts(v)) this.inc({ mount: v.uuid, [label]: key }, n);
          }
        },
      });
    };
    perVolume(
      'keepstore_volume_operations_total',
      'Operations on each volume (stat, open, create, write, touch, trash, ...).',
      'operation',
      (v) => v.counts.operations,
    );
    perVolume(
      'keepstore_volume_errors_total',
      'Failed volume operations, by errno or keepstore error code.',
      'error',
      (v) => v.counts.errors,
    );
    const corrupt = this.#corruptCopies;
    new Counter({
      name: 'keepstore_volume_corrupt_blocks_total',
      help: 'Stored copies found corrupt (not hashing to their name) by a GET, a PUT or a pull.',
      labelNames: ['mount'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [mount, n] of corrupt) this.inc({ mount }, n);
      },
    });
  }

  #limiterGauges(): void {
    const stats = (): LimiterStats | null => this.#limiter?.() ?? null;
    const gauge = (name: string, help: string, read: (s: LimiterStats) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = stats();
          this.set(s ? read(s) : 0);
        },
      });
    };
    gauge('keepstore_http_requests_in_progress', 'Block and index requests holding a slot, all workers.', (s) => s.active);
    gauge('keepstore_http_requests_queued', 'Block and index requests waiting for a slot, all workers.', (s) => s.queued);
    gauge('keepstore_http_requests_max_in_progress', 'Slots for block and index requests, all workers.', (s) => s.maxActive);
  }
}
