import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListStreamParser, ListValidationError, MAX_ENTRY_BYTES } from '@keepstore/protocol';

/** Feed `body` in pieces of `step` bytes; the entries in order, with their indexes checked. */
function feed(body: string, step: number): unknown[] {
  const bytes = Buffer.from(body);
  const parser = new ListStreamParser();
  const out: unknown[] = [];
  const take = (segments: ReturnType<ListStreamParser['write']>) => {
    for (const s of segments) {
      assert.equal(s.first, out.length, 'segments are contiguous');
      assert.deepEqual(JSON.parse(s.text), s.values, 'text is what was parsed');
      out.push(...s.values);
    }
  };
  for (let i = 0; i < bytes.length; i += step) take(parser.write(bytes.subarray(i, i + step)));
  take(parser.end());
  assert.equal(parser.count, out.length);
  return out;
}

function refusal(body: string, step: number): ListValidationError {
  try {
    feed(body, step);
  } catch (err) {
    assert.ok(err instanceof ListValidationError, String(err));
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(body)} in steps of ${step}`);
}

const TRICKY = ` [ {"a":"x,y]}\\"[{","b":[1,{"c":"\\\\"}]}, {"é":"ü\\u005d"} ,[],"s",7,null ] \n`;

test('cut at every byte, a list parses to what JSON.parse gives', () => {
  const expected = JSON.parse(TRICKY) as unknown[];
  for (let step = 1; step <= Buffer.byteLength(TRICKY); step++) assert.deepEqual(feed(TRICKY, step), expected, `step ${step}`);
});

test('null, [] and whitespace around them are no entries', () => {
  for (const body of ['null', ' null\n', '[]', ' [ ] ']) for (const step of [1, 3, 100]) assert.deepEqual(feed(body, step), [], body);
});

test('malformed lists are refused at any cut, without an index', () => {
  const bodies = ['', '[', '[1', '[1,', '[,1]', '[1,]', '[1,,2]', '[1 2]', '[{"a":1]}', '[1] x', '[1]]', '{"a":1}', '"s"', 'nul', '[1,"ab'];
  for (const body of bodies) {
    for (const step of [1, 2, 100]) {
      const err = refusal(body, step);
      assert.equal(err.index, null, `${JSON.stringify(body)}: ${err.message}`);
      assert.match(err.message, /malformed JSON|expected a JSON array/, JSON.stringify(body));
    }
  }
});

test('an entry over MAX_ENTRY_BYTES is refused by its index before it is read whole', () => {
  const parser = new ListStreamParser();
  parser.write(Buffer.from('[1,2,"'));
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let thrown: unknown;
  let fed = 0;
  try {
    for (; fed <= MAX_ENTRY_BYTES; fed += chunk.length) parser.write(chunk);
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof ListValidationError);
  assert.equal(thrown.index, 2);
  assert.match(thrown.message, /larger than/);
  assert.ok(fed <= MAX_ENTRY_BYTES, 'refused as soon as the bound was passed');
});
