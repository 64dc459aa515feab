/**
 * Per-client admission: at most `maxPerClient` block requests (running or waiting for a slot)
 * per client address in one worker, so a single client cannot take every slot and queue place.
 *
 * Pure bookkeeping, no I/O: every successful enter() must be matched by exactly one leave().
 * An address is forgotten when its count drops to zero, so the map holds active clients only.
 */
export class ClientLimiter {
  readonly maxPerClient: number;
  readonly #counts = new Map<string, number>();

  constructor(maxPerClient: number) {
    if (!Number.isSafeInteger(maxPerClient) || maxPerClient < 1) throw new RangeError(`maxPerClient must be >= 1, got ${maxPerClient}`);
    this.maxPerClient = maxPerClient;
  }

  /** Take a place for `address`; false (nothing taken) when it already holds maxPerClient. */
  enter(address: string): boolean {
    const held = this.#counts.get(address) ?? 0;
    if (held >= this.maxPerClient) return false;
    this.#counts.set(address, held + 1);
    return true;
  }

  /** One request of `address` ended. */
  leave(address: string): void {
    const held = this.#counts.get(address) ?? 0;
    if (held <= 1) this.#counts.delete(address);
    else this.#counts.set(address, held - 1);
  }

  /** Places `address` holds now. */
  held(address: string): number {
    return this.#counts.get(address) ?? 0;
  }
}
