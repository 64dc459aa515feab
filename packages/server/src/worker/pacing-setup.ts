import type { KeepstoreConfig } from '../config/config.js';
import type { RequestLimiter } from '../http/request-limiter.js';
import type { WorkerToPrimary } from '../ipc/messages.js';
import type { PeerSlotClient } from './peer-slot-client.js';
import { PullPacer } from './pull-pacer.js';
import { YieldGate } from './yield-gate.js';

/**
 * A worker's pull pacing (README "Pull pacing"): the yield gate watching its client queue and
 * event loop (when yieldToClients is on), and the pacer its pull streams draw from.
 * `busy`: does the worker have pull or trash jobs (throttled time counts only then).
 */
export function createPullPacing(
  config: KeepstoreConfig,
  limiter: RequestLimiter,
  slots: PeerSlotClient,
  busy: () => boolean,
  send: (msg: WorkerToPrimary) => void,
): { gate: YieldGate | null; pacer: PullPacer } {
  const gate = config.yieldToClients
    ? new YieldGate({
        clientsQueued: () => limiter.clientsQueued,
        lagThresholdMs: config.yieldEventLoopDelay,
        busy,
        onChange: (throttled) => send({ type: 'pull:throttled', throttled }),
      })
    : null;
  return { gate, pacer: new PullPacer(gate, slots) };
}
