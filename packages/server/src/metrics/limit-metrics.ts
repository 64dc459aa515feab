import { Gauge, type Registry } from 'prom-client';
import { LIMIT_NAMES } from '../config/limits.js';
import type { PacingStatus } from '../status.js';

/**
 * The primary's pacing figures (README "Pull pacing"): the limits in force and the peer slots
 * in use. The workers count their own pulled bytes and throttled time (pacing-metrics.ts).
 */
export function registerLimitMetrics(registry: Registry, status: () => PacingStatus): void {
  new Gauge({
    name: 'keepstore_limit',
    help: 'The limits in force, by name (pullBandwidth in bytes/s; 0: unlimited where that applies).',
    labelNames: ['limit'],
    registers: [registry],
    collect() {
      const { limits } = status();
      for (const limit of LIMIT_NAMES) this.set({ limit }, limits[limit]);
    },
  });
  new Gauge({
    name: 'keepstore_pull_peer_slots_in_use',
    help: 'Transfers in flight per peer server, counted while pullPerPeerConcurrency > 0.',
    labelNames: ['server'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [server, n] of Object.entries(status().peerSlots)) this.set({ server }, n);
    },
  });
}
