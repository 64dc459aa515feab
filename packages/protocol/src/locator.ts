import { InvalidLocatorError } from './errors.js';

/** A well-formed permission hint, `+A<40 hex>@<8 hex>`, split into its two halves. */
export interface PermissionHint {
  /** 40 hex digits: HMAC-SHA1 of the hash, token, expiry and TTL. */
  signature: string;
  /** 8 hex digits: the expiry in unix seconds. */
  expiryHex: string;
}

/** A parsed block locator, `HASH[+SIZE][+HINT...]`. */
export interface Locator {
  /** 32 lowercase hex digits (MD5 of the content). */
  hash: string;
  /** The size hint in bytes, or null when there is none. May exceed MAX_BLOCK_SIZE: the server decides. */
  size: number | null;
  /** Every hint after the size, without its leading '+', in order. */
  hints: string[];
  /** The permission hint when there is exactly one `A` hint and it is well-formed, else null. */
  permission: PermissionHint | null;
  /** How many hints start with 'A', well-formed or not (signature checks need exactly one). */
  permissionHintCount: number;
}

const BLOCK_HASH_RE = /^[0-9a-f]{32}$/;
// Arvados accepts any hex case here ([[:xdigit:]]); an uppercase signature then simply fails to match.
const PERMISSION_HINT_RE = /^A([0-9a-fA-F]{40})@([0-9a-fA-F]{8})$/;

const HASH_LENGTH = 32;
const PLUS = 0x2b;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_A = 0x61;
const LOWER_F = 0x66;
const CHAR_A = 0x41;
const CHAR_Z = 0x5a;

/** True when `s` is exactly 32 lowercase hex digits. */
export function isBlockHash(s: string): boolean {
  return typeof s === 'string' && BLOCK_HASH_RE.test(s);
}

/** Splits an `A` hint (without its '+') into signature and expiry, or null if it is malformed. */
export function parsePermissionHint(hint: string): PermissionHint | null {
  const m = PERMISSION_HINT_RE.exec(hint);
  if (m === null) return null;
  return { signature: m[1]!, expiryHex: m[2]! };
}

function isLowerHexPrefix(text: string): boolean {
  for (let i = 0; i < HASH_LENGTH; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= DIGIT_0 && c <= DIGIT_9) || (c >= LOWER_A && c <= LOWER_F))) return false;
  }
  return true;
}

/**
 * The size hint starting at `start` (just after the hash's '+'): its value and where it ends,
 * or null when the first hint is not all digits. -1 as value: digits, but above MAX_SAFE_INTEGER.
 */
function scanSize(text: string, start: number): { value: number; end: number } | null {
  let value = 0;
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === PLUS) break;
    if (c < DIGIT_0 || c > DIGIT_9) return null;
    // Exact while the result stays safe; past that it only grows, so the final check is exact.
    value = value * 10 + (c - DIGIT_0);
  }
  if (i === start) return null;
  return { value: Number.isSafeInteger(value) ? value : -1, end: i };
}

/**
 * Parses a locator, or returns null when it breaks the rules: hash not 32 lowercase hex,
 * an empty part (`++`, leading or trailing `+`), a size hint that is not first or exceeds
 * Number.MAX_SAFE_INTEGER, or a hint that does not start with an uppercase letter.
 * Hand-written rather than split + regex: it runs once per work-list entry, millions per list.
 */
export function tryParseLocator(text: string): Locator | null {
  if (typeof text !== 'string' || text.length < HASH_LENGTH || !isLowerHexPrefix(text)) return null;
  const n = text.length;
  if (n > HASH_LENGTH && text.charCodeAt(HASH_LENGTH) !== PLUS) return null;
  const hash = n === HASH_LENGTH ? text : text.slice(0, HASH_LENGTH);
  let size: number | null = null;
  let pos = HASH_LENGTH; // always at a '+' or the end
  const sizeHint = n > pos ? scanSize(text, pos + 1) : null;
  if (sizeHint !== null) {
    if (sizeHint.value < 0) return null;
    size = sizeHint.value;
    pos = sizeHint.end;
  }
  const hints: string[] = [];
  let permissionHintCount = 0;
  let lastA = '';
  while (pos < n) {
    const start = pos + 1;
    const next = text.indexOf('+', start);
    const end = next < 0 ? n : next;
    // Empty hints ('++', a trailing '+') fail here too: start === end makes charCodeAt NaN or '+'.
    const c = start < end ? text.charCodeAt(start) : NaN;
    if (!(c >= CHAR_A && c <= CHAR_Z)) return null;
    const hint = text.slice(start, end);
    if (c === CHAR_A) {
      permissionHintCount++;
      lastA = hint;
    }
    hints.push(hint);
    pos = end;
  }
  const permission = permissionHintCount === 1 ? parsePermissionHint(lastA) : null;
  return { hash, size, hints, permission, permissionHintCount };
}

/** Parses a locator; throws InvalidLocatorError (`invalid locator`) when it is not valid. */
export function parseLocator(text: string): Locator {
  const loc = tryParseLocator(text);
  if (loc === null) throw new InvalidLocatorError();
  return loc;
}

/** The locator without hints: `HASH+SIZE`, or `HASH` when there is no size hint. */
export function bareLocator(loc: Locator): string {
  return loc.size === null ? loc.hash : `${loc.hash}+${loc.size}`;
}
