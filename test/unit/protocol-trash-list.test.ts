import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListValidationError, parseTrashList, scanIntegerField } from '../../packages/protocol/src/index.ts';

const LOC = 'acbd18db4cc2f85cedef654fccc4a4d8+3';
const MOUNT = 'zzzzz-nyw5e-000000000000001';
const MTIME = '1707249451308502673'; // above 2^53: Number would round it to ...2784

/** One entry as raw JSON text, so block_mtime keeps all its digits. */
const entry = (mtime: string = MTIME, extra = '') => `{"locator":"${LOC}","block_mtime":${mtime},"mount_uuid":"${MOUNT}"${extra}}`;
const list = (...entries: string[]) => `[${entries.join(',')}]`;

function rejects(text: string, index: number | null, message: string | RegExp): void {
  assert.throws(
    () => parseTrashList(text),
    (err: unknown) => {
      assert.ok(err instanceof ListValidationError);
      assert.equal(err.code, 'INVALID_LIST');
      assert.equal(err.index, index);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseTrashList: accepted lists', () => {
  it('parses the docs/api.md example', () => {
    const text = `[{"locator":"${LOC}","block_mtime":1707249451308502672,"mount_uuid":"${MOUNT}"}]`;
    assert.deepEqual(parseTrashList(text), [
      { locator: LOC, hash: 'acbd18db4cc2f85cedef654fccc4a4d8', size: 3, blockMtime: 1707249451308502672n, mountUuid: MOUNT },
    ]);
  });

  it('keeps block_mtime exact above 2^53', () => {
    assert.notEqual(BigInt(Number(MTIME)), BigInt(MTIME)); // what JSON.parse alone would give
    assert.equal(parseTrashList(list(entry()))[0]!.blockMtime, 1707249451308502673n);
    const mtimes = parseTrashList(list(entry('1707249451308502673'), entry('1707249451308502674'), entry('0')));
    assert.deepEqual(
      mtimes.map((e) => e.blockMtime),
      [1707249451308502673n, 1707249451308502674n, 0n],
    );
  });

  it('accepts the int64 maximum and JSON whitespace around the value', () => {
    assert.equal(parseTrashList(list(entry('9223372036854775807')))[0]!.blockMtime, 9223372036854775807n);
    const text = `[ {\n "locator" : "${LOC}" ,\n\t"block_mtime"\r\n:\t 1707249451308502673 \n} ]`;
    assert.equal(parseTrashList(text)[0]!.blockMtime, 1707249451308502673n);
  });

  it('treats null and [] as empty, and mount_uuid like the pull list', () => {
    assert.deepEqual(parseTrashList('null'), []);
    assert.deepEqual(parseTrashList('[]'), []);
    const text = list(
      `{"locator":"${LOC}","block_mtime":1}`,
      `{"locator":"${LOC}","block_mtime":2,"mount_uuid":null}`,
      `{"locator":"${LOC}","block_mtime":3,"mount_uuid":""}`,
    );
    assert.deepEqual(
      parseTrashList(text).map((e) => e.mountUuid),
      [null, null, null],
    );
  });

  it('is not fooled by "block_mtime" inside string values', () => {
    const tricky = `{"locator":"${LOC}","note":"\\"block_mtime\\":1.5, \\\\","mount_uuid":"block_mtime","block_mtime":${MTIME}}`;
    const colonValue = `{"locator":"${LOC}","x":"block_mtime","block_mtime":5}`;
    const entries = parseTrashList(list(tricky, colonValue));
    assert.deepEqual(
      entries.map((e) => e.blockMtime),
      [BigInt(MTIME), 5n],
    );
    assert.equal(entries[0]!.mountUuid, 'block_mtime');
  });

  it('ignores block_mtime keys nested deeper than the entry', () => {
    const text = list(entry(MTIME, ',"extra":{"block_mtime":"not checked","more":[{"block_mtime":-1}]}'));
    assert.equal(parseTrashList(text)[0]!.blockMtime, BigInt(MTIME));
  });

  it('reads a key written with escapes exactly too', () => {
    const text = `[{"locator":"${LOC}","block\\u005fmtime":${MTIME}}]`;
    assert.equal(parseTrashList(text)[0]!.blockMtime, BigInt(MTIME));
  });

  it('takes the last of repeated keys, like JSON.parse', () => {
    assert.equal(parseTrashList(list(entry('1', `,"block_mtime":${MTIME}`)))[0]!.blockMtime, BigInt(MTIME));
  });
});

describe('parseTrashList: rejected lists name the entry and the reason', () => {
  it('malformed JSON and non-arrays', () => {
    rejects('[{"locator":', null, /^malformed JSON: /);
    rejects(list(entry('01')), null, /^malformed JSON: /);
    rejects('{"block_mtime":1}', null, 'expected a JSON array of entries, got an object');
  });

  it('locator errors, as in the pull list', () => {
    rejects(list(entry(), '{"block_mtime":1}'), 1, 'entry 1: missing locator');
    rejects(list(entry(), entry(), entry(), '{"locator":"xyz","block_mtime":1}'), 3, 'entry 3: invalid locator "xyz"');
    rejects(
      list('{"locator":"acbd18db4cc2f85cedef654fccc4a4d8","block_mtime":1}'),
      0,
      'entry 0: locator "acbd18db4cc2f85cedef654fccc4a4d8" has no size hint',
    );
    rejects(list(entry(), '7'), 1, 'entry 1: expected an object, got a number');
  });

  it('missing block_mtime', () => {
    rejects(list(entry(), `{"locator":"${LOC}"}`), 1, 'entry 1: missing block_mtime');
  });

  const badValues: Array<[string, string]> = [
    ['1.5', 'block_mtime must be a non-negative integer, got 1.5'],
    ['1707249451308502673.0', 'block_mtime must be a non-negative integer, got 1707249451308502673.0'],
    ['1e5', 'block_mtime must be a non-negative integer, got 1e5'],
    ['1E+18', 'block_mtime must be a non-negative integer, got 1E+18'],
    ['-5', 'block_mtime must not be negative, got -5'],
    ['"123"', 'block_mtime must be a number, not a string "123"'],
    ['"abc"', 'block_mtime must be a number, not a string "abc"'],
    ['null', 'block_mtime must be a non-negative integer, got null'],
    ['true', 'block_mtime must be a non-negative integer, got true'],
    ['{}', 'block_mtime must be a non-negative integer, got an object'],
    ['[1]', 'block_mtime must be a non-negative integer, got an array'],
    ['9223372036854775808', 'block_mtime 9223372036854775808 is out of range (max 9223372036854775807)'],
    ['99999999999999999999', 'block_mtime 99999999999999999999 is out of range (max 9223372036854775807)'],
  ];
  for (const [value, reason] of badValues) {
    it(`block_mtime ${value}`, () => rejects(list(entry(), entry(), entry(value)), 2, `entry 2: ${reason}`));
  }

  it('rejects a bad value behind an escaped key', () => {
    rejects(`[{"locator":"${LOC}","block\\u005fmtime":1.5}]`, 0, 'entry 0: block_mtime must be a non-negative integer, got 1.5');
  });

  it('rejects a repeated key when any of its values is bad', () => {
    rejects(list(entry('"x"', `,"block_mtime":${MTIME}`)), 0, 'entry 0: block_mtime must be a number, not a string "x"');
  });

  it('reports entries in order, whatever the kind of error', () => {
    rejects(list(entry(), '{"locator":"bad","block_mtime":1}', entry('1.5')), 1, 'entry 1: invalid locator "bad"');
    rejects(list(entry(), entry('1.5'), '{"locator":"bad","block_mtime":1}'), 1, /^entry 1: block_mtime/);
  });

  it('counts entries correctly past nested arrays and commas in strings', () => {
    const first = entry(MTIME, ',"n":[1,2,{"a":[3,4]}],"s":"a,b,[c"');
    rejects(list(first, entry(), entry('-1')), 2, 'entry 2: block_mtime must not be negative, got -1');
  });
});

describe('scanIntegerField', () => {
  it('ignores text that is not an array', () => {
    assert.deepEqual(scanIntegerField('{"block_mtime":1}', 'block_mtime'), { digits: [], problem: null });
  });
});

describe('parseTrashList: size', () => {
  it('parses 200 000 entries exactly (its time is reported, not asserted)', (t) => {
    const base = 1707249451308502673n;
    const parts: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      parts.push(`{"locator":"${i.toString(16).padStart(32, '0')}+${i}","block_mtime":${base + BigInt(i)},"mount_uuid":"${MOUNT}"}`);
    }
    const text = `[${parts.join(',')}]`;
    const start = performance.now();
    const parsed = parseTrashList(text);
    const ms = performance.now() - start;
    assert.equal(parsed.length, 200_000);
    assert.equal(parsed[123_456]!.blockMtime, base + 123_456n);
    t.diagnostic(`parsed in ${ms.toFixed(0)} ms`);
  });
});
