import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidLocatorError,
  checkSignature,
  computeSignature,
  expiryHex,
  parseLocator,
  signLocator,
  ttlHex,
} from '../../packages/protocol/src/index.ts';
import { keepVectors } from '../helpers/keep-vectors.ts';

const v = keepVectors.signature;

const EXPIRY = parseInt(v.expiryHex, 16);
const NOW = EXPIRY - 1000; // any time before the vector's expiry
const check = (locator: string, token: string | undefined, now = NOW, key = v.key) =>
  checkSignature(parseLocator(locator), token, key, v.ttlSeconds, now);

describe('signature vectors', () => {
  it('computes the expected signature', () => {
    assert.equal(computeSignature(v.hash, v.token, v.expiryHex, v.ttlSeconds, v.key), v.expectedSignature);
  });

  it('signs the locator as expected', () => {
    assert.equal(signLocator(v.locator, v.token, EXPIRY, v.ttlSeconds, v.key), v.signedLocator);
  });

  for (const locator of v.valid) {
    it(`verifies valid ${locator}`, () => assert.equal(check(locator, v.token), 'ok'));
  }
  for (const locator of v.missing) {
    it(`does not verify missing/malformed ${locator}`, () => assert.notEqual(check(locator, v.token), 'ok'));
  }

  it('rejects the signed locator with another token', () => {
    assert.equal(check(v.signedLocator, v.invalidWithOtherToken), 'invalid');
  });
});

describe('checkSignature edge cases', () => {
  it('reports no-token for undefined or empty token', () => {
    assert.equal(check(v.signedLocator, undefined), 'no-token');
    assert.equal(check(v.signedLocator, ''), 'no-token');
    assert.equal(check(v.locator, undefined), 'no-token'); // before looking at the hint at all
  });

  it('reports expired once the expiry is reached', () => {
    assert.equal(check(v.signedLocator, v.token, EXPIRY - 1), 'ok');
    assert.equal(check(v.signedLocator, v.token, EXPIRY), 'expired');
    assert.equal(check(v.signedLocator, v.token, EXPIRY + 1), 'expired');
  });

  it('reports expired before comparing the signature (as Arvados does)', () => {
    assert.equal(check(v.signedLocator, v.invalidWithOtherToken, EXPIRY + 1), 'expired');
  });

  it('rejects a wrong key', () => {
    assert.equal(check(v.signedLocator, v.token, NOW, `${v.key}x`), 'invalid');
  });

  it('rejects two +A hints even when both are correct', () => {
    const hint = v.signedLocator.slice(v.locator.length);
    assert.equal(check(`${v.signedLocator}${hint}`, v.token), 'invalid');
  });

  it('rejects a missing or malformed hint', () => {
    assert.equal(check(v.locator, v.token), 'invalid');
    assert.equal(check(`${v.locator}+Abcdef@12345678`, v.token), 'invalid');
    assert.equal(check(`${v.locator}+A${v.expectedSignature}@7fffffffff`, v.token), 'invalid');
  });

  it('rejects a signature made for another hash', () => {
    const other = `37b51d194a7513e45b56f6524f2d51f2+3+A${v.expectedSignature}@${v.expiryHex}`;
    assert.equal(check(other, v.token), 'invalid');
  });

  it('rejects a signature made with another TTL', () => {
    const loc = parseLocator(v.signedLocator);
    assert.equal(checkSignature(loc, v.token, v.key, v.ttlSeconds + 1, NOW), 'invalid');
  });
});

describe('signLocator', () => {
  it('replaces existing +A hints and keeps the others in place', () => {
    const signed = signLocator(`${v.locator}+K@xyzzy+A${'0'.repeat(40)}@00000001+Abad`, v.token, EXPIRY, v.ttlSeconds, v.key);
    assert.equal(signed, `${v.locator}+K@xyzzy+A${v.expectedSignature}@${v.expiryHex}`);
    assert.equal(check(signed, v.token), 'ok');
  });

  it('signs only the hash: a bare hash or another size gets the same signature', () => {
    assert.equal(signLocator(v.hash, v.token, EXPIRY, v.ttlSeconds, v.key), `${v.hash}+A${v.expectedSignature}@${v.expiryHex}`);
    assert.ok(signLocator(`${v.hash}+999`, v.token, EXPIRY, v.ttlSeconds, v.key).endsWith(v.expectedSignature + '@7fffffff'));
  });

  it('returns the locator untouched without a token or key (as Arvados does)', () => {
    assert.equal(signLocator(v.locator, '', EXPIRY, v.ttlSeconds, v.key), v.locator);
    assert.equal(signLocator(v.locator, v.token, EXPIRY, v.ttlSeconds, ''), v.locator);
  });

  it('throws InvalidLocatorError for an invalid locator', () => {
    assert.throws(() => signLocator('xyzzy', v.token, EXPIRY, v.ttlSeconds, v.key), InvalidLocatorError);
  });
});

describe('hex encodings', () => {
  it('pads the expiry to 8 lowercase hex digits', () => {
    assert.equal(expiryHex(0x7fffffff), '7fffffff');
    assert.equal(expiryHex(1), '00000001');
    assert.equal(expiryHex(1700000000.9), '6553f100');
  });

  it('writes the TTL unpadded', () => {
    assert.equal(ttlHex(1209600), '127500');
    assert.equal(ttlHex(15), 'f');
    assert.equal(ttlHex(0), '0');
  });

  it('refuses negative or non-finite values', () => {
    assert.throws(() => expiryHex(-1), RangeError);
    assert.throws(() => ttlHex(Number.NaN), RangeError);
  });
});
