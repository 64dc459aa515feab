import assert from 'node:assert/strict';
import { test } from 'node:test';
import { S3Keys } from '../../packages/server/src/volume/s3/s3-keys.ts';

const HASH = 'acbd18db4cc2f85cedef654fccc4a4d8';

test('S3Keys: block, recent/ and trash/ keys as the Arvados S3 driver writes them', () => {
  const flat = new S3Keys(0);
  assert.equal(flat.block(HASH), HASH);
  assert.equal(flat.recent(HASH), `recent/${HASH}`);
  assert.equal(flat.trash(HASH), `trash/${HASH}`);
  const three = new S3Keys(3);
  assert.equal(three.block(HASH), `acb/${HASH}`);
  assert.equal(three.recent(HASH), `recent/acb/${HASH}`);
  assert.equal(three.trash(HASH), `trash/acb/${HASH}`);
  assert.equal(new S3Keys(32).block(HASH), `${HASH}/${HASH}`);
});

test('S3Keys.listPrefix: every hash prefix of 0..32 characters selects exactly the matching block keys', () => {
  for (const n of [0, 1, 3, 31, 32]) {
    const keys = new S3Keys(n);
    for (let len = 0; len <= 32; len++) {
      const prefix = HASH.slice(0, len);
      const listPrefix = keys.listPrefix(prefix);
      assert.ok(keys.block(HASH).startsWith(listPrefix), `N=${n} prefix ${len}: ${listPrefix} must match the block`);
      // A hash sharing the first len-1 characters but not the len-th must not match once the
      // prefix reaches into the hash part of the key (it can share the folder).
      if (len > 0) {
        const other = HASH.slice(0, len - 1) + (HASH[len - 1] === '0' ? '1' : '0') + HASH.slice(len);
        assert.ok(!keys.block(other).startsWith(listPrefix), `N=${n} prefix ${len}: ${other} must not match`);
      }
    }
  }
  // The reference's bug: with N=3 a 4-character prefix is looked up without its folder.
  assert.equal(new S3Keys(3).listPrefix('acbd'), 'acb/acbd');
});

test('S3Keys.hashOf: accepts only block keys of the configured layout', () => {
  const three = new S3Keys(3);
  assert.equal(three.hashOf(`acb/${HASH}`), HASH);
  assert.equal(three.hashOf(HASH), null, 'a flat key is not a block of a prefixLength 3 volume');
  assert.equal(three.hashOf(`acc/${HASH}`), null, 'folder must be the hash prefix');
  assert.equal(three.hashOf(`recent/acb/${HASH}`), null);
  assert.equal(three.hashOf(`acb/${HASH.toUpperCase()}`), null);
  const flat = new S3Keys(0);
  assert.equal(flat.hashOf(HASH), HASH);
  assert.equal(flat.hashOf(`acb/${HASH}`), null);
  assert.equal(flat.hashOf(`${HASH}x`), null);
});

test('S3Keys: prefixLength outside 0..32 is refused', () => {
  assert.throws(() => new S3Keys(33), RangeError);
  assert.throws(() => new S3Keys(-1), RangeError);
  assert.throws(() => new S3Keys(1.5), RangeError);
});
