import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TooLargeError } from '../../packages/server/src/errors.ts';
import { HashingMeter } from '../../packages/server/src/volume/hashing-meter.ts';
import { md5, randomBlock } from '../helpers/volume-fixtures.ts';

/** Collects the chunk objects themselves, to check they are passed through uncopied. */
function collector(): { sink: Writable; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { sink, chunks };
}

test('passes the same Buffer objects through and computes MD5 and size', async () => {
  const parts = [randomBlock(10_000).data, randomBlock(1).data, randomBlock(70_000).data];
  const { sink, chunks } = collector();
  const meter = new HashingMeter({ maxBytes: 1 << 20 });
  await pipeline(Readable.from(parts), meter, sink);
  assert.equal(chunks.length, parts.length);
  for (const [i, p] of parts.entries()) assert.equal(chunks[i], p, 'same object, no copy');
  assert.equal(meter.bytes, 80_001);
  assert.equal(meter.digestHex(), md5(Buffer.concat(parts)));
  assert.equal(meter.digestHex(), md5(Buffer.concat(parts)), 'stable on a second call');
});

test('empty stream gives the empty block hash', async () => {
  const meter = new HashingMeter({ maxBytes: 0 });
  await pipeline(Readable.from([]), meter, collector().sink);
  assert.equal(meter.bytes, 0);
  assert.equal(meter.digestHex(), 'd41d8cd98f00b204e9800998ecf8427e');
});

test('exactly maxBytes is accepted, one more byte is TooLargeError', async () => {
  const ok = new HashingMeter({ maxBytes: 100 });
  await pipeline(Readable.from([Buffer.alloc(60), Buffer.alloc(40)]), ok, collector().sink);
  assert.equal(ok.bytes, 100);

  const tooMany = new HashingMeter({ maxBytes: 100 });
  const { sink, chunks } = collector();
  await assert.rejects(
    pipeline(Readable.from([Buffer.alloc(60), Buffer.alloc(41)]), tooMany, sink),
    (err: unknown) => err instanceof TooLargeError && err.status === 413,
  );
  assert.equal(chunks.length, 1, 'the chunk that went over is not forwarded');
});

test('digestHex before the end throws; bad maxBytes is rejected', () => {
  const meter = new HashingMeter({ maxBytes: 10 });
  assert.throws(() => meter.digestHex(), /before the stream ended/);
  assert.throws(() => new HashingMeter({ maxBytes: -1 }), RangeError);
  assert.throws(() => new HashingMeter({ maxBytes: 1.5 }), RangeError);
});
