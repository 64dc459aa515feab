import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseLocator, type Locator } from './locator.js';

/**
 * Permission signatures (docs/api.md "Permission signatures"), byte-compatible with
 * Arvados sdk/go/arvados/blob_signature.go:
 * `hex(HMAC-SHA1(key, HASH + "@" + token + "@" + EXP + "@" + TTL))`.
 */

/** Outcome of checkSignature, one per distinct HTTP answer. */
export type SignatureCheck = 'ok' | 'no-token' | 'expired' | 'invalid';

function assertNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative finite number, got ${value}`);
  }
}

/** Expiry as lowercase hex, zero-padded to 8 digits (Go `%08x`); fractions are dropped. */
export function expiryHex(unixSeconds: number): string {
  assertNonNegative('expiry', unixSeconds);
  return Math.trunc(unixSeconds).toString(16).padStart(8, '0');
}

/** TTL as unpadded lowercase hex of whole seconds (Go truncates): 1209600 (336h) -> `127500`. */
export function ttlHex(ttlSeconds: number): string {
  assertNonNegative('ttl', ttlSeconds);
  return Math.trunc(ttlSeconds).toString(16);
}

/** The 40-hex-digit signature of `hash` for `token`, valid until `expiryHex`. */
export function computeSignature(hash: string, token: string, expiryHex: string, ttlSeconds: number, key: string): string {
  return createHmac('sha1', key)
    .update(`${hash}@${token}@${expiryHex}@${ttlHex(ttlSeconds)}`)
    .digest('hex');
}

/**
 * Returns `locator` with `+A<sig>@<exp>` appended, after removing any `A` hints it already had.
 * Like Arvados, returns the locator untouched when `token` or `key` is empty (nothing to sign
 * with). Throws InvalidLocatorError when `locator` is not a valid locator.
 */
export function signLocator(locator: string, token: string, expiryUnixSeconds: number, ttlSeconds: number, key: string): string {
  const loc = parseLocator(locator);
  if (token === '' || key === '') return locator;
  const exp = expiryHex(expiryUnixSeconds);
  const sig = computeSignature(loc.hash, token, exp, ttlSeconds, key);
  // The size hint is all digits, so "starts with A" only ever matches permission hints.
  const kept = locator.split('+').filter((part, i) => i === 0 || part.charCodeAt(0) !== 0x41);
  return `${kept.join('+')}+A${sig}@${exp}`;
}

/**
 * Verifies the permission hint of `loc` for `token`. Order follows Arvados VerifySignature:
 * a missing token first, then the shape (exactly one well-formed `A` hint), then the expiry,
 * and only then the signature itself, so an expired hint reports 'expired' even if forged.
 */
export function checkSignature(
  loc: Locator,
  token: string | undefined,
  key: string,
  ttlSeconds: number,
  nowUnixSeconds: number,
): SignatureCheck {
  if (token === undefined || token === '') return 'no-token';
  const perm = loc.permissionHintCount === 1 ? loc.permission : null;
  if (perm === null) return 'invalid';
  // Arvados: expired when expiry.Before(now); with whole-second expiries that is expiry <= now.
  if (parseInt(perm.expiryHex, 16) <= nowUnixSeconds) return 'expired';
  const expected = computeSignature(loc.hash, token, perm.expiryHex, ttlSeconds, key);
  // Both are 40 ASCII characters (the hint regex guarantees it), as timingSafeEqual requires.
  const same = timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(perm.signature, 'latin1'));
  return same ? 'ok' : 'invalid';
}
