import { ListValidationError } from './errors.js';
import { scanIntegerField, type IntegerFieldScan } from './json-integer-field.js';
import { optionalMountUuid, requireEntryObject, requireSizedLocator } from './list-entry.js';
import { describeJsonType } from './list-json.js';
import { parseWholeList, type ListValidator } from './list-stream.js';

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

/** Entry `k` of the scanned segment is entry `index` of the list. */
function requireBlockMtime(entry: Record<string, unknown>, index: number, scan: IntegerFieldScan, k: number): bigint {
  if (scan.problem !== null && scan.problem.index === k) {
    throw new ListValidationError(index, scan.problem.reason);
  }
  const value = entry[MTIME_KEY];
  if (value === undefined) throw new ListValidationError(index, `missing ${MTIME_KEY}`);
  const digits = scan.digits[k];
  // The scan records the digits of every valid value and reports every other one, so a gap
  // here means the scan and JSON.parse disagree: refuse rather than use the rounded number.
  if (typeof value !== 'number' || digits === undefined) {
    throw new ListValidationError(index, `${MTIME_KEY} must be a non-negative integer, got ${describeJsonType(value)}`);
  }
  return BigInt(digits);
}

/**
 * The trash list's validator: each entry of a segment as a TrashEntry, block_mtime read
 * exactly from the segment's text, or a ListValidationError naming the first wrong entry.
 */
export function trashListValidator(): ListValidator<TrashEntry> {
  return ({ first, text, values }) => {
    const scan = scanIntegerField(text, MTIME_KEY);
    return values.map((item, k) => {
      const i = first + k;
      const entry = requireEntryObject(item, i);
      const { locator, hash, size } = requireSizedLocator(entry, i);
      const blockMtime = requireBlockMtime(entry, i, scan, k);
      return { locator, hash, size, blockMtime, mountUuid: optionalMountUuid(entry, i) };
    });
  };
}

/**
 * Parses and validates a trash list body (JSON text), reading block_mtime exactly. `null` or
 * `[]` give no entries. Throws ListValidationError for malformed JSON, a body that is not an
 * array, or the first entry that is wrong (naming its index and the reason).
 */
export function parseTrashList(body: string): TrashEntry[] {
  return parseWholeList(body, trashListValidator());
}
