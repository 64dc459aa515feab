import { z } from 'zod';
import { parseDuration } from '@keepstore/protocol';

/**
 * A config duration: a Go-style string ("90s", "5m", "336h") or a number of seconds; parsed
 * to milliseconds. A leaf module (schema/: field schemas shared by the config and the volume
 * drivers), so a driver's config can use it without importing config/.
 */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
