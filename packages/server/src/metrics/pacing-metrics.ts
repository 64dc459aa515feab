import { Counter, Gauge, type Registry } from 'prom-client';

/** One worker's pull pacing figures (worker/pull-pacer.ts). */
export interface PacingFigures {
  /** Body bytes received from peers by pulls. */
  pulledBytes: number;
  /** Seconds the worker yielded to its clients while it had pull or trash work. */
  yieldedSeconds: number;
  /** Seconds at least one pull stream waited for its bandwidth share. */
  bandwidthSeconds: number;
  yielding: boolean;
}

/** The worker's pacing series (README "Pull pacing"); summed over the workers by the scrape. */
export function registerPacingMetrics(registry: Registry, figures: () => PacingFigures): void {
  new Counter({
    name: 'keepstore_pull_bytes_total',
    help: 'Block bytes received from peers by pulls (rate() gives pull bytes per second).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(figures().pulledBytes);
    },
  });
  new Counter({
    name: 'keepstore_pull_throttled_seconds_total',
    help: 'Time pulls were held back, by reason: yield (clients queued or event loop lag; trash too), bandwidth (pullBandwidth share spent).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const f = figures();
      this.reset();
      this.inc({ reason: 'yield' }, f.yieldedSeconds);
      this.inc({ reason: 'bandwidth' }, f.bandwidthSeconds);
    },
  });
  new Gauge({
    name: 'keepstore_workers_yielding',
    help: 'Workers yielding to their clients now (pulls and trash backing off).',
    registers: [registry],
    collect() {
      this.set(figures().yielding ? 1 : 0);
    },
  });
}
