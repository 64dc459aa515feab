import { z } from 'zod';
import { parseDuration } from '@keepstore/protocol';

/**
 * A config duration: a Go-style string ("90s", "5m", "336h") or a number of seconds; parsed
 * to milliseconds. Its own module so driver config schemas can use it without an import cycle.
 */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
