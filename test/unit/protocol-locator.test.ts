import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMPTY_BLOCK_HASH,
  InvalidLocatorError,
  MAX_BLOCK_SIZE,
  ProtocolError,
  bareLocator,
  isBlockHash,
  parseLocator,
  tryParseLocator,
} from '../../packages/protocol/src/index.ts';
import { keepVectors as vectors } from '../helpers/keep-vectors.ts';

const HASH = 'acbd18db4cc2f85cedef654fccc4a4d8';
const SIG = '89118b78732c33104a4d6231e8b5a5fa1e4301e3';

describe('locator vectors', () => {
  for (const text of vectors.locators.valid) {
    it(`accepts ${JSON.stringify(text)}`, () => {
      const loc = parseLocator(text);
      assert.equal(loc.hash, text.slice(0, 32));
      assert.deepEqual(tryParseLocator(text), loc);
    });
  }
  for (const text of vectors.locators.invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(tryParseLocator(text), null);
      assert.throws(
        () => parseLocator(text),
        (err: unknown) => {
          assert.ok(err instanceof InvalidLocatorError);
          assert.ok(err instanceof ProtocolError);
          assert.equal(err.message, 'invalid locator');
          assert.equal(err.code, 'INVALID_LOCATOR');
          return true;
        },
      );
    });
  }
});

describe('parseLocator fields', () => {
  it('splits hash, size and hints in order', () => {
    const loc = parseLocator(`${HASH}+3+K@zzzzz+A${SIG}@7fffffff+Xfoo`);
    assert.deepEqual(loc, {
      hash: HASH,
      size: 3,
      hints: ['K@zzzzz', `A${SIG}@7fffffff`, 'Xfoo'],
      permission: { signature: SIG, expiryHex: '7fffffff' },
      permissionHintCount: 1,
    });
  });

  it('has null size and all hints when there is no size hint', () => {
    const loc = parseLocator(`${HASH}+K@zzzzz`);
    assert.equal(loc.size, null);
    assert.deepEqual(loc.hints, ['K@zzzzz']);
  });

  it('keeps a malformed +A hint as a hint but not as a permission', () => {
    const loc = parseLocator(`${HASH}+3+Abcdef@12345678`);
    assert.equal(loc.permission, null);
    assert.equal(loc.permissionHintCount, 1);
  });

  it('has no permission when there are two +A hints', () => {
    const loc = parseLocator(`${HASH}+3+A${SIG}@7fffffff+A${SIG}@7fffffff`);
    assert.equal(loc.permission, null);
    assert.equal(loc.permissionHintCount, 2);
  });

  it('parses sizes above MAX_BLOCK_SIZE (the server decides)', () => {
    assert.equal(parseLocator(`${HASH}+${MAX_BLOCK_SIZE + 1}`).size, MAX_BLOCK_SIZE + 1);
  });

  it('accepts size up to MAX_SAFE_INTEGER and rejects beyond', () => {
    assert.equal(parseLocator(`${HASH}+${Number.MAX_SAFE_INTEGER}`).size, Number.MAX_SAFE_INTEGER);
    assert.equal(tryParseLocator(`${HASH}+9007199254740992`), null);
    assert.equal(tryParseLocator(`${HASH}+${'9'.repeat(400)}`), null);
  });

  for (const bad of [
    `${HASH}+`,
    `${HASH}+3++K@x`,
    `${HASH}+3+`,
    `${HASH}+3+k@lowercase`,
    `${HASH}+3abc`,
    `${HASH}+3+1234`,
    `${HASH}+-3`,
    `${HASH} +3`,
    `${HASH.slice(0, 31)}g+3`,
    `${HASH}+3+@x`,
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(tryParseLocator(bad), null));
  }

  it('returns null for non-strings', () => {
    assert.equal(tryParseLocator(undefined as unknown as string), null);
    assert.equal(tryParseLocator(42 as unknown as string), null);
  });
});

describe('bareLocator and isBlockHash', () => {
  it('drops hints, keeps the size', () => {
    assert.equal(bareLocator(parseLocator(`${HASH}+3+K@x+A${SIG}@7fffffff`)), `${HASH}+3`);
    assert.equal(bareLocator(parseLocator(`${HASH}+K@x`)), HASH);
  });

  it('knows a block hash', () => {
    assert.equal(isBlockHash(HASH), true);
    assert.equal(isBlockHash(EMPTY_BLOCK_HASH), true);
    assert.equal(isBlockHash(HASH.toUpperCase()), false);
    assert.equal(isBlockHash(`${HASH}+3`), false);
    assert.equal(isBlockHash(HASH.slice(1)), false);
  });

  it('has the documented constants', () => {
    assert.equal(MAX_BLOCK_SIZE, 67108864);
    assert.equal(EMPTY_BLOCK_HASH, 'd41d8cd98f00b204e9800998ecf8427e');
  });
});
