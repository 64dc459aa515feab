import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How often the gate looks at the queue and the event loop, ms. */
const CHECK_EVERY_MS = 100;
/** The event-loop delay sampling step, ms (the histogram's resolution). */
const SAMPLE_EVERY_MS = 10;

export interface YieldGateOptions {
  /** Client requests waiting for a slot in this worker (RequestLimiter.clientsQueued). */
  clientsQueued: () => number;
  /** The p90 event-loop delay over the last check that counts as lag, ms. */
  lagThresholdMs: number;
  /** Does the worker have pull or trash work (only then does yielding cost anything to count)? */
  busy: () => boolean;
  /** Heard on every change of state (the primary shows it in /status.json). */
  onChange: (yielding: boolean) => void;
}

/**
 * Yield to clients (README "Pull pacing"): closed while client requests queue in this worker
 * or its event loop lags (perf_hooks.monitorEventLoopDelay, p90 over the last 100 ms above the
 * threshold), open again when both drain. Pull and trash jobs wait at the gate before they
 * start, and pull streams hold their next chunk while it is closed. Counts the time it was
 * closed while the worker had such work (the throttled time).
 */
export class YieldGate {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: SAMPLE_EVERY_MS });
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  /** Each wait's end (it also clears the wait's timer): a bounded wait that ends leaves the set. */
  readonly #waiters = new Set<() => void>();
  #throttledMs = 0;
  #lastCheck = Date.now();

  constructor(private readonly opts: YieldGateOptions) {
    this.#histogram.enable();
    this.#timer = setInterval(() => this.#check(), CHECK_EVERY_MS);
    this.#timer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves when the gate is open (at once if it is); `maxMs` bounds the wait. A bounded wait
   * that times out is forgotten at once: a gate closed for hours (a starved host) while pull
   * streams wait at it over and over holds only the waits in progress.
   */
  whenOpen(maxMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (!this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const end = (): void => {
        this.#waiters.delete(end);
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(end);
      if (Number.isFinite(maxMs)) timer = setTimeout(end, maxMs).unref();
    });
  }

  /** Waits in progress at the gate. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Seconds the gate was closed while the worker had pull or trash work. */
  get throttledSeconds(): number {
    return this.#throttledMs / 1000;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
    this.#closed = false;
    this.#open();
  }

  #check(): void {
    const now = Date.now();
    if (this.#closed && this.opts.busy()) this.#throttledMs += now - this.#lastCheck;
    this.#lastCheck = now;
    const lagMs = this.#histogram.count > 0 ? this.#histogram.percentile(90) / 1e6 : 0;
    this.#histogram.reset();
    const close = this.opts.clientsQueued() > 0 || lagMs > this.opts.lagThresholdMs;
    if (close === this.#closed) return;
    this.#closed = close;
    if (!close) this.#open();
    this.opts.onChange(close);
  }

  #open(): void {
    for (const end of [...this.#waiters]) end();
  }
}
