import { ListValidationError } from './errors.js';
import { scanIntegerField, type IntegerFieldScan } from './json-integer-field.js';
import { optionalMountUuid, requireEntryObject, requireSizedLocator } from './list-entry.js';
import { describeJsonType, parseListJson } from './list-json.js';

/** One validated entry of a trash list (docs/api.md "The trash list"). */
export interface TrashEntry {
  /** The locator as sent (hints included). */
  locator: string;
  hash: string;
  size: number;
  /** The mtime in nanoseconds the stored copy must have, exactly: above 2^53, hence a BigInt. */
  blockMtime: bigint;
  /** Only this volume, or null for every trash-allowed volume. */
  mountUuid: string | null;
}

const MTIME_KEY = 'block_mtime';

function requireBlockMtime(entry: Record<string, unknown>, index: number, scan: IntegerFieldScan): bigint {
  if (scan.problem !== null && scan.problem.index === index) {
    throw new ListValidationError(index, scan.problem.reason);
  }
  const value = entry[MTIME_KEY];
  if (value === undefined) throw new ListValidationError(index, `missing ${MTIME_KEY}`);
  const digits = scan.digits[index];
  // The scan records the digits of every valid value and reports every other one, so a gap
  // here means the scan and JSON.parse disagree: refuse rather than use the rounded number.
  if (typeof value !== 'number' || digits === undefined) {
    throw new ListValidationError(index, `${MTIME_KEY} must be a non-negative integer, got ${describeJsonType(value)}`);
  }
  return BigInt(digits);
}

/**
 * Parses and validates a trash list body (JSON text), reading block_mtime exactly. `null` or
 * `[]` give no entries. Throws ListValidationError for malformed JSON, a body that is not an
 * array, or the first entry that is wrong (naming its index and the reason).
 */
export function parseTrashList(body: string): TrashEntry[] {
  const items = parseListJson(body); // first: it also rejects malformed JSON the scan skims over
  const scan = scanIntegerField(body, MTIME_KEY);
  const entries: TrashEntry[] = new Array<TrashEntry>(items.length);
  for (let i = 0; i < items.length; i++) {
    const entry = requireEntryObject(items[i], i);
    const { locator, hash, size } = requireSizedLocator(entry, i);
    const blockMtime = requireBlockMtime(entry, i, scan);
    entries[i] = { locator, hash, size, blockMtime, mountUuid: optionalMountUuid(entry, i) };
  }
  return entries;
}
