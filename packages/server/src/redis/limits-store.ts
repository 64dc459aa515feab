import { limitsPatchError, type Limits, type LimitsPatch } from '../config/limits.js';
import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import type { RedisClient } from './redis-client.js';

/** The primary's live limits, as this store sees them (primary/live-limits.ts). */
export interface LiveLimitsState {
  overrides(): Partial<Limits>;
  restore(saved: LimitsPatch): void;
  onChange(listener: (source: 'live' | 'config' | 'restore') => void): void;
}

/**
 * Keeps the limits set live (PUT /pull/limits) in Redis, one JSON string under the server's
 * uuid, so they survive a restart: read back at start (before any worker takes a job), written
 * on every live change. Like the lists, memory is the truth and Redis follows: a change made
 * while Redis is away is written when it is back, and a change made before Redis answered at
 * start wins over what Redis held.
 */
export class LimitsStore {
  /** Memory holds the live limits (read from Redis, or changed here since start). */
  #known = false;
  #dirty = false;

  constructor(
    private readonly client: RedisClient,
    private readonly key: string,
    private readonly limits: LiveLimitsState,
    private readonly log: Logger,
    private readonly isUp: () => boolean,
  ) {
    limits.onChange((source) => {
      if (source !== 'live') return;
      this.#known = true;
      this.#dirty = true;
      void this.save();
    });
  }

  /** Redis is (again) ours: read the live limits once, or write ours when they changed meanwhile (or Redis may have lost them). */
  async connected(recovered: boolean): Promise<void> {
    if (!this.#known) return this.#resume();
    if (recovered) this.#dirty = true;
    await this.save();
  }

  async save(): Promise<void> {
    if (!this.#dirty || !this.isUp()) return;
    const live = this.limits.overrides();
    try {
      this.#dirty = false;
      if (Object.keys(live).length === 0) await this.client.del(this.key);
      else await this.client.set(this.key, JSON.stringify(live));
    } catch (err) {
      this.#dirty = true;
      this.log.warn('cannot save the live limits in redis: will on reconnect', { error: describeError(err) });
    }
  }

  async #resume(): Promise<void> {
    try {
      const text = await this.client.get(this.key);
      if (this.#known) return; // a live change while we read wins
      this.#known = true;
      if (text === null) return;
      const saved: unknown = JSON.parse(text);
      const error = limitsPatchError(saved);
      if (error !== null) {
        this.log.warn('ignoring the live limits kept in redis: not valid', { error });
        return;
      }
      this.limits.restore(saved as LimitsPatch);
      this.log.info('live limits restored from redis', { ...(saved as LimitsPatch) });
    } catch (err) {
      this.log.warn('cannot read the live limits from redis: config limits apply until it can be read', { error: describeError(err) });
    }
  }
}
