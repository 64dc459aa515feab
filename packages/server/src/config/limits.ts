import { z } from 'zod';

/**
 * The pull and trash limits (README "Pull pacing"): set in the config file, changed live by
 * `PUT /pull/limits` or a SIGHUP'd config. One schema per field, shared by the config and the
 * endpoint, so both accept and refuse the same values.
 */
export const LIMIT_VALUES = {
  /** Bytes per second for the whole server, shared fairly by the workers pulling; 0 = unlimited. */
  pullBandwidth: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Pulls in flight per worker. */
  pullConcurrency: z.number().int().min(1).max(1024),
  /** Transfers from one peer server in flight across the whole server; 0 = unlimited. */
  pullPerPeerConcurrency: z.number().int().min(0).max(1_000_000),
  /** Trash operations in flight per worker. */
  trashConcurrency: z.number().int().min(1).max(1024),
};

export type LimitName = keyof typeof LIMIT_VALUES;
export type Limits = { [K in LimitName]: number };

export const LIMIT_NAMES = Object.keys(LIMIT_VALUES) as LimitName[];

export const LIMIT_DEFAULTS: Limits = { pullBandwidth: 0, pullConcurrency: 4, pullPerPeerConcurrency: 0, trashConcurrency: 4 };

/** The limits in force, and which of them were set live (they win over the config until cleared). */
export type LimitsInForce = Limits & { live: LimitName[] };

/** A live change: a number sets a limit, null clears its live value (back to the config's). */
export type LimitsPatch = { [K in LimitName]?: number | null };

/** What a PUT /pull/limits body (and the copy kept in Redis) may hold: nothing else. */
export const limitsPatchSchema = z.strictObject(
  Object.fromEntries(LIMIT_NAMES.map((name) => [name, LIMIT_VALUES[name].nullable().optional()])) as {
    [K in LimitName]: z.ZodOptional<z.ZodNullable<(typeof LIMIT_VALUES)[K]>>;
  },
);

/** Why `value` is not a LimitsPatch, naming each bad field; null when it is one. */
export function limitsPatchError(value: unknown): string | null {
  const result = limitsPatchSchema.safeParse(value);
  if (result.success) return null;
  return result.error.issues
    .map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.join(', ')}: not a limit (the limits are ${LIMIT_NAMES.join(', ')})`
        : `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`,
    )
    .join('; ');
}

/** The limits fields of a config. */
export function limitsOf(config: Limits): Limits {
  return Object.fromEntries(LIMIT_NAMES.map((name) => [name, config[name]])) as Limits;
}
