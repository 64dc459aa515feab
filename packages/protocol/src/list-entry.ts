import { ListValidationError } from './errors.js';
import { tryParseLocator } from './locator.js';
import { describeJsonType, quoteForMessage } from './list-json.js';

/** Field checks shared by the pull and trash lists; each throws a ListValidationError naming the entry. */

/** The entry as an object (not null, not an array). */
export function requireEntryObject(entry: unknown, index: number): Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ListValidationError(index, `expected an object, got ${describeJsonType(entry)}`);
  }
  return entry as Record<string, unknown>;
}

/** The parts of an entry's `locator`, which must be valid and carry a size hint. */
export interface SizedLocator {
  locator: string;
  hash: string;
  size: number;
}

/** Checks `entry.locator`: present, a string, a valid locator, with a size hint. */
export function requireSizedLocator(entry: Record<string, unknown>, index: number): SizedLocator {
  const locator = entry['locator'];
  if (locator === undefined) throw new ListValidationError(index, 'missing locator');
  if (typeof locator !== 'string') {
    throw new ListValidationError(index, `locator must be a string, got ${describeJsonType(locator)}`);
  }
  const parsed = tryParseLocator(locator);
  if (parsed === null) throw new ListValidationError(index, `invalid locator ${quoteForMessage(locator)}`);
  if (parsed.size === null) {
    throw new ListValidationError(index, `locator ${quoteForMessage(locator)} has no size hint`);
  }
  return { locator, hash: parsed.hash, size: parsed.size };
}

/** `entry.mount_uuid`: absent, null or '' mean "no particular mount" (null); otherwise a string. */
export function optionalMountUuid(entry: Record<string, unknown>, index: number): string | null {
  const mount = entry['mount_uuid'];
  if (mount === undefined || mount === null || mount === '') return null;
  if (typeof mount !== 'string') {
    throw new ListValidationError(index, `mount_uuid must be a string, got ${describeJsonType(mount)}`);
  }
  return mount;
}
