/**
 * Replacing the pull list mid-way (README "Pull lists", Replace semantics): entries not yet started are
 * dropped at once and never fetched (the fake peer counts requests); the entry in flight
 * finishes; an entry of the new list that is already in flight is not started twice; an entry
 * in flight that the new list no longer has stops before its next server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, hasBlock, logsWith, makeBlock, putPullList, waitForPullIdle, type Block } from '../helpers/pull-helpers.ts';

let target: Keepstore;
let peer: FakePeer;

before(async () => {
  // One worker, one slot: exactly one pull in flight, everything else waits in the primary.
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 1, volumeCount: 1, config: { pullConcurrency: 1, pullIdleTimeout: '2s' } }),
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 8, slowDelayMs: 100 }),
  ]);
});
after(async () => {
  await peer?.close();
  await target?.destroy();
});

const entry = (b: Block) => ({ locator: b.locator, servers: [peer.url] });

function blocks(n: number, size = 1000): Block[] {
  return Array.from({ length: n }, () => {
    const b = makeBlock(size);
    peer.serve(b.hash, b.data);
    return b;
  });
}

/** A slow block (~800 ms) first, so that it is in flight while the rest waits. */
function slowBlock(): Block {
  const b = makeBlock(80_000);
  peer.serve(b.hash, b.data, 'slow');
  return b;
}

async function waitUntilPulling(b: Block): Promise<void> {
  await waitFor(async () => (await getStatus(target)).workers.some((w) => w.pulling.includes(b.locator)), 10_000, `${b.locator} in flight`);
}

test('a new list drops what was not started, lets the in-flight pull finish, and never starts it twice', async () => {
  const slow = slowBlock();
  const old = blocks(30);
  assert.equal((await putPullList(target, [slow, ...old].map(entry))).status, 200);
  await waitUntilPulling(slow);

  const fresh = blocks(5);
  const before = (await getStatus(target)).pullQueue;
  assert.equal((await putPullList(target, [...fresh, slow].map(entry))).status, 200);
  const q = (await getStatus(target)).pullQueue;
  assert.equal(q.listSize, 6);
  assert.ok(q.queued <= 6, `old entries dropped at once (queued ${q.queued})`);
  await waitForPullIdle(target, before.done + before.failed + 1 + fresh.length);

  assert.ok(await hasBlock(target.volumeRoot(0), slow.hash), 'the in-flight pull finished');
  assert.equal(peer.requests(slow.hash), 1, 'the in-flight entry was not started again');
  for (const b of fresh) assert.ok(await hasBlock(target.volumeRoot(0), b.hash));
  for (const b of old) assert.equal(peer.requests(b.hash), 0, 'dropped entries are never fetched');
});

for (const [name, body] of [
  ['[]', []],
  ['null', null],
] as const) {
  test(`${name} clears the list: the rest is never fetched, the in-flight pull finishes`, async () => {
    const slow = slowBlock();
    const rest = blocks(10);
    assert.equal((await putPullList(target, [slow, ...rest].map(entry))).status, 200);
    await waitUntilPulling(slow);
    const res = await putPullList(target, body);
    assert.equal(res.status, 200);
    const q = (await getStatus(target)).pullQueue;
    assert.equal(q.queued, 0);
    assert.equal(q.listSize, 0);
    await waitForPullIdle(target);
    assert.ok(await hasBlock(target.volumeRoot(0), slow.hash));
    for (const b of rest) assert.equal(peer.requests(b.hash), 0);
  });
}

for (const [name, replacement] of [
  ['a clear', () => []],
  ['a replace', () => blocks(2).map(entry)],
] as const) {
  test(`${name} stops a pull walking failing servers before its next server`, async () => {
    // Every server stalls mid-body: each one costs pullIdleTimeout (2 s), 16 of them 32 s.
    const walker = await startFakePeer({ signingKey: SIGNING_KEY });
    try {
      const b = makeBlock(50_000);
      walker.serve(b.hash, b.data, 'stall');
      const servers = Array.from({ length: 16 }, () => walker.url);
      assert.equal((await putPullList(target, [{ locator: b.locator, servers }])).status, 200);
      await waitFor(() => walker.requests(b.hash) >= 1, 10_000, 'the first server asked');
      assert.equal((await putPullList(target, replacement())).status, 200);
      await waitForPullIdle(target, undefined, 15_000);
      const asked = walker.requests(b.hash);
      assert.ok(asked <= 2, `stopped at the next server boundary: ${asked} of 16 servers asked`);
      const line = logsWith(target, 'pull cancelled: the entry is no longer on the pull list').find((l) => l['locator'] === b.locator);
      assert.ok(line, 'the cancellation is logged');
    } finally {
      walker.releaseStalled();
      await walker.close();
    }
  });
}
