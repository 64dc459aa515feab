/**
 * How a pull signs its GET (packages/server/src/pull/peer-locator.ts): with our own key, for a
 * random token of this process that is never the admin or management token, valid for minutes
 * (not blobSigningTTL).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSignature, parseLocator } from '../../packages/protocol/src/index.ts';
import { configFromObject } from '../../packages/server/src/config/load.ts';
import { isPullToken, PULL_SIGNATURE_LIFETIME_SECONDS, pullToken, signForPeer } from '../../packages/server/src/pull/peer-locator.ts';

const KEY = 'unit-test-signing-key';
const LOCATOR = 'acbd18db4cc2f85cedef654fccc4a4d8+3';

test('the pull token is random, fixed for the process, says it is a pull, and not any configured token', () => {
  const token = pullToken();
  assert.match(token, /^keepstore-pull-[0-9a-f]{48}$/);
  assert.ok(isPullToken(token));
  assert.ok(!isPullToken('test-root-token'));
  assert.equal(pullToken(), token);
  assert.ok(PULL_SIGNATURE_LIFETIME_SECONDS >= 60 && PULL_SIGNATURE_LIFETIME_SECONDS <= 600, 'minutes, not days');
});

test('the signed locator verifies with the same key and token (blobSigningTTL in the signed text) and expires in minutes', () => {
  const config = configFromObject({ blobSigning: true, blobSigningKey: KEY, blobSigningTTL: '2h', systemRootToken: 'root' });
  const now = Date.UTC(2026, 0, 1);
  const signed = signForPeer(config, LOCATOR, 'pull-token', now);
  assert.match(signed, /^acbd18db4cc2f85cedef654fccc4a4d8\+3\+A[0-9a-f]{40}@[0-9a-f]{8}$/);
  const loc = parseLocator(signed);
  assert.equal(parseInt(loc.permission!.expiryHex, 16), now / 1000 + PULL_SIGNATURE_LIFETIME_SECONDS);
  assert.equal(checkSignature(loc, 'pull-token', KEY, 7200, now / 1000), 'ok');
  assert.equal(checkSignature(loc, 'pull-token', KEY, 7200, now / 1000 + PULL_SIGNATURE_LIFETIME_SECONDS), 'expired');
  assert.equal(checkSignature(loc, 'root', KEY, 7200, now / 1000), 'invalid');
  assert.equal(checkSignature(loc, 'pull-token', 'another-key', 7200, now / 1000), 'invalid');
});

test('without a signing key the locator goes out unsigned', () => {
  assert.equal(signForPeer(configFromObject({}), LOCATOR, 'token'), LOCATOR);
});
