/**
 * How a pull signs its GET (packages/server/src/pull/peer-locator.ts): with our own key, for a
 * token of our own, valid for blobSigningTTL; and signatures are stripped from anything logged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSignature, parseLocator } from '../../packages/protocol/src/index.ts';
import { configFromObject } from '../../packages/server/src/config/load.ts';
import { pullToken, redactSignatures, signForPeer } from '../../packages/server/src/pull/peer-locator.ts';

const KEY = 'unit-test-signing-key';
const LOCATOR = 'acbd18db4cc2f85cedef654fccc4a4d8+3';

test('the system root token is the pull token; without one a fixed token of our own is used', () => {
  assert.equal(pullToken(configFromObject({ systemRootToken: 'root' })), 'root');
  const fallback = pullToken(configFromObject({}));
  assert.ok(fallback.length > 0);
});

test('the signed locator verifies with the same key and token, for blobSigningTTL', () => {
  const config = configFromObject({ blobSigning: true, blobSigningKey: KEY, blobSigningTTL: '2h', systemRootToken: 'root' });
  const now = Date.UTC(2026, 0, 1);
  const signed = signForPeer(config, LOCATOR, 'root', now);
  assert.match(signed, /^acbd18db4cc2f85cedef654fccc4a4d8\+3\+A[0-9a-f]{40}@[0-9a-f]{8}$/);
  const loc = parseLocator(signed);
  assert.equal(parseInt(loc.permission!.expiryHex, 16), now / 1000 + 7200);
  assert.equal(checkSignature(loc, 'root', KEY, 7200, now / 1000), 'ok');
  assert.equal(checkSignature(loc, 'someone-else', KEY, 7200, now / 1000), 'invalid');
  assert.equal(checkSignature(loc, 'root', 'another-key', 7200, now / 1000), 'invalid');
});

test('without a signing key the locator goes out unsigned', () => {
  assert.equal(signForPeer(configFromObject({}), LOCATOR, 'token'), LOCATOR);
});

test('signatures are removed from text before it is logged', () => {
  const sig = `+A${'a'.repeat(40)}@${'0'.repeat(8)}`;
  assert.equal(redactSignatures(`request to http://keep1/${LOCATOR}${sig} failed`), `request to http://keep1/${LOCATOR} failed`);
  assert.equal(redactSignatures(`${LOCATOR}${sig}+K@zzzzz`), `${LOCATOR}+K@zzzzz`);
  assert.equal(redactSignatures('nothing to hide'), 'nothing to hide');
});
