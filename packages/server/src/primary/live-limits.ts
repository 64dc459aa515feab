import { LIMIT_NAMES, limitsOf, type LimitName, type Limits, type LimitsInForce, type LimitsPatch } from '../config/limits.js';

/** Where a change of the limits in force came from: PUT /pull/limits, a SIGHUP'd config, or Redis at start. */
export type LimitsChangeSource = 'live' | 'config' | 'restore';

/**
 * The limits in force on this server (README "Pull pacing"): the config's, each overridden by a
 * value set live until that value is cleared (a null for it). A SIGHUP'd config changes the
 * config's values but not a live one: the operator's last word wins. Listeners hear every
 * change that alters the limits in force or the live set.
 */
export class LiveLimits {
  #config: Limits;
  readonly #live: Partial<Limits> = {};
  readonly #listeners: Array<(source: LimitsChangeSource) => void> = [];

  constructor(config: Limits) {
    this.#config = limitsOf(config);
  }

  current(): Limits {
    return { ...this.#config, ...this.#live };
  }

  view(): LimitsInForce {
    return { ...this.current(), live: LIMIT_NAMES.filter((name) => this.#live[name] !== undefined) };
  }

  /** The values set live (what Redis keeps). */
  overrides(): Partial<Limits> {
    return { ...this.#live };
  }

  onChange(listener: (source: LimitsChangeSource) => void): void {
    this.#listeners.push(listener);
  }

  /** Apply a validated live change; returns the limits now in force. */
  set(patch: LimitsPatch): LimitsInForce {
    this.#apply(patch, 'live');
    return this.view();
  }

  /** The live values kept in Redis (at start, or when Redis comes back), before anything was set here. */
  restore(saved: LimitsPatch): void {
    this.#apply(saved, 'restore');
  }

  /** A new config (SIGHUP): its values apply where nothing was set live. */
  reconfigure(config: Limits): void {
    const before = JSON.stringify(this.current());
    this.#config = limitsOf(config);
    if (JSON.stringify(this.current()) !== before) this.#emit('config');
  }

  #apply(patch: LimitsPatch, source: LimitsChangeSource): void {
    const before = JSON.stringify(this.view());
    for (const name of Object.keys(patch) as LimitName[]) {
      const value = patch[name];
      if (value === null) delete this.#live[name];
      else if (value !== undefined) this.#live[name] = value;
    }
    if (JSON.stringify(this.view()) !== before) this.#emit(source);
  }

  #emit(source: LimitsChangeSource): void {
    for (const listener of this.#listeners) listener(source);
  }
}
