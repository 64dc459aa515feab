import type { KeepstoreConfig } from '../config/config.js';
import type { RequestLimiter } from '../http/request-limiter.js';
import type { WorkerToPrimary } from '../ipc/messages.js';
import type { PeerSlotClient } from './peer-slot-client.js';
import { PullPacer } from './pull-pacer.js';
import { YieldGate } from './yield-gate.js';

/**
 * Longest a pull or trash job waits at a closed yield gate before it starts anyway: yielding
 * slows background work to a trickle while clients keep the worker saturated (or other
 * processes starve its CPU); it never stops it (pausing the list does).
 */
const MAX_JOB_HOLD_MS = 5_000;

/**
 * A worker's pull pacing (README "Pull pacing"): the yield gate watching its client queue and
 * event loop (when yieldToClients is on), the pacer its pull streams draw from, and the wait
 * before a job starts (null: start now).
 * `busy`: does the worker have pull or trash jobs (throttled time counts only then).
 */
export function createPullPacing(
  config: KeepstoreConfig,
  limiter: RequestLimiter,
  slots: PeerSlotClient,
  busy: () => boolean,
  send: (msg: WorkerToPrimary) => void,
): { gate: YieldGate | null; pacer: PullPacer; mayStart: () => Promise<void> | null } {
  const gate = config.yieldToClients
    ? new YieldGate({
        clientsQueued: () => limiter.clientsQueued,
        lagThresholdMs: config.yieldEventLoopDelay,
        busy,
        onChange: (throttled) => send({ type: 'pull:throttled', throttled }),
      })
    : null;
  const mayStart = (): Promise<void> | null => (gate?.closed ? gate.whenOpen(MAX_JOB_HOLD_MS) : null);
  return { gate, pacer: new PullPacer(gate, slots), mayStart };
}
