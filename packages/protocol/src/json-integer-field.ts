/**
 * Exact 64-bit integers in a JSON array of objects, without a full JSON parser of our own.
 *
 * JSON.parse turns 1707249451308502673 into 1707249451308502784, and Node 20 has no reviver
 * source text to recover the digits. So alongside JSON.parse we walk the text once and record,
 * for each top-level entry, the exact digits of the value of one key. Strings are skipped with
 * indexOf, so the walk is linear and cheap (most of a work list's bytes are inside strings),
 * and nothing is copied: the caller parses the original text and takes the digits from here.
 *
 * Only keys of the array's direct elements (depth 2) count; a key spelled with escapes
 * (`"block\u005fmtime"`) is decoded so it cannot slip past; text inside string values never
 * matches. A value that is not a plain non-negative int64 (string, float, exponent, negative,
 * null, object...) is reported as `problem`: the first such entry. When JSON.parse accepts the
 * text, its entries are exactly the ones counted here, so `digits[i]` belongs to entry i.
 */

/** The outcome of scanIntegerField. */
export interface IntegerFieldScan {
  /** The exact digits of the key's value in entry i (the last one, if repeated), when valid. */
  digits: Array<string | undefined>;
  /** The first entry whose value for the key is not a plain non-negative int64, if any. */
  problem: { index: number; reason: string } | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

const UINT_RE = /^(?:0|[1-9][0-9]*)$/;
const INT64_MAX = '9223372036854775807';
const WORD_RE = /^[A-Za-z]+/;
/** Longest piece of a bad value echoed in the reason. */
const MAX_SHOWN = 40;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (isJsonSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index of the quote closing the string opened at `open`, or -1 if it never closes. */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q; // an even run of backslashes escapes only themselves
    from = q + 1;
  }
}

/** End of a number-like token at `i`: the characters a JSON number can contain. */
function numberEnd(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    const numeric = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
    if (!numeric) return i;
    i++;
  }
}

function isInt64Digits(token: string): boolean {
  if (!UINT_RE.test(token)) return false;
  return token.length < INT64_MAX.length || (token.length === INT64_MAX.length && token <= INT64_MAX);
}

/** True when the string token [open, close] is the key, however it is escaped. */
function keyMatches(text: string, open: number, close: number, quotedKey: string, key: string): boolean {
  const rawLength = close - open + 1;
  if (rawLength === quotedKey.length) return text.startsWith(quotedKey, open);
  if (rawLength < quotedKey.length) return false;
  const raw = text.slice(open, close + 1);
  if (!raw.includes('\\')) return false;
  try {
    return JSON.parse(raw) === key;
  } catch {
    return false; // a broken escape: JSON.parse of the whole body will report it
  }
}

/** The reason the value at `start` (not a plain int64) is rejected, echoing a short piece of it. */
function describeBadValue(text: string, start: number, key: string): string {
  const c = text.charCodeAt(start);
  if (c === QUOTE) {
    const close = stringEnd(text, start);
    const shown = close < 0 || close - start > MAX_SHOWN ? '' : ` ${text.slice(start, close + 1)}`;
    return `${key} must be a number, not a string${shown}`;
  }
  if (c === OPEN_BRACE) return `${key} must be a non-negative integer, got an object`;
  if (c === OPEN_BRACKET) return `${key} must be a non-negative integer, got an array`;
  const token = text.slice(start, numberEnd(text, start)).slice(0, MAX_SHOWN);
  if (token === '') {
    const word = WORD_RE.exec(text.slice(start, start + 8))?.[0] ?? 'something else';
    return `${key} must be a non-negative integer, got ${word}`;
  }
  if (token.startsWith('-')) return `${key} must not be negative, got ${token}`;
  if (UINT_RE.test(token)) return `${key} ${token} is out of range (max ${INT64_MAX})`;
  return `${key} must be a non-negative integer, got ${token}`;
}

/**
 * Records, in a JSON array of objects, the exact digits of `key` in each element. Text that
 * does not start with '[' yields nothing (JSON.parse and the caller report what is wrong).
 */
export function scanIntegerField(text: string, key: string): IntegerFieldScan {
  const quotedKey = JSON.stringify(key);
  const scan: IntegerFieldScan = { digits: [], problem: null };
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return scan;
  let depth = 0;
  let entry = 0; // index of the top-level element being walked: commas seen at depth 1
  const length = text.length;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c !== QUOTE) {
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
      else if (c === COMMA && depth === 1) entry++;
      i++;
      continue;
    }
    const close = stringEnd(text, i);
    if (close < 0) break; // unterminated: JSON.parse reports it
    const open = i;
    i = close + 1;
    if (depth !== 2) continue;
    const colon = skipSpace(text, i);
    if (text.charCodeAt(colon) !== COLON || !keyMatches(text, open, close, quotedKey, key)) continue;
    const valueStart = skipSpace(text, colon + 1);
    const valueEnd = numberEnd(text, valueStart);
    const token = text.slice(valueStart, valueEnd);
    if (isInt64Digits(token)) {
      scan.digits[entry] = token;
      i = valueEnd;
    } else {
      scan.problem ??= { index: entry, reason: describeBadValue(text, valueStart, key) };
      i = colon + 1; // walk the value normally: it may be a string or an object
    }
  }
  return scan;
}
