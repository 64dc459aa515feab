/**
 * Durations in configuration, Go style (as Arvados config files write them): "90s", "5m",
 * "336h", "1h30m", "1.5h", "500ms", "0". A plain number means seconds.
 */

// Milliseconds per unit; Go accepts both the micro sign (U+00B5) and Greek mu (U+03BC).
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['\u00b5s', 1e-3],
  ['\u03bcs', 1e-3],
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

// One "<number><unit>" term; sticky so that terms must follow each other with nothing between.
const TERM_RE = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([a-z\u00b5\u03bc]+)/y;
const NUMBER_ONLY_RE = /^[0-9.]+$/;

/** Rounds away float noise (1.1 * 1000 = 1100.0000000000002) at nanosecond resolution. */
function roundToNs(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}

function durationError(value: string, why: string): Error {
  return new Error(`invalid duration ${JSON.stringify(value)}: ${why} (expected e.g. "90s", "5m", "1h30m", "500ms")`);
}

function parseDurationString(value: string): number {
  const text = value.trim();
  if (text === '0' || text === '+0') return 0;
  if (text === '') throw durationError(value, 'empty');
  if (text.startsWith('-')) throw durationError(value, 'negative durations are not allowed');
  let pos = text.startsWith('+') ? 1 : 0;
  let total = 0;
  while (pos < text.length) {
    TERM_RE.lastIndex = pos;
    const m = TERM_RE.exec(text);
    if (m === null) {
      const rest = text.slice(pos);
      throw durationError(value, NUMBER_ONLY_RE.test(rest) ? 'missing unit' : `unexpected text at "${rest}"`);
    }
    const unit = UNIT_MS.get(m[2]!);
    if (unit === undefined) throw durationError(value, `unknown unit "${m[2]}"`);
    total += Number(m[1]) * unit;
    pos = TERM_RE.lastIndex;
  }
  if (!Number.isFinite(total)) throw durationError(value, 'too large');
  return roundToNs(total);
}

/**
 * Parses a duration into milliseconds (fractions of a millisecond are kept). A number is taken
 * as seconds; a string must be a Go-style duration. Throws an Error naming the value otherwise.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`invalid duration ${value}: a number of seconds must be finite and not negative`);
    }
    return roundToNs(value * 1000);
  }
  if (typeof value !== 'string') {
    throw new Error(`invalid duration ${JSON.stringify(value)}: expected a string like "90s" or a number of seconds`);
  }
  return parseDurationString(value);
}
