/**
 * SIGTERM in the middle of a pull list (README "Pull lists", A worker that dies): the pulls in flight finish
 * within the grace period, no new entry is started, and the server exits 0.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, hasBlock, makeBlock, putPullList, type Block } from '../helpers/pull-helpers.ts';

let target: Keepstore;
let peer: FakePeer;

before(async () => {
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 1, volumeCount: 1, config: { pullConcurrency: 2, pullIdleTimeout: '2s' } }),
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 8, slowDelayMs: 100 }),
  ]);
});
after(async () => {
  await peer?.close();
  await target?.destroy();
});

test('SIGTERM mid-list: pulls in flight finish, nothing new starts, exit 0', async () => {
  const slow: Block[] = [makeBlock(80_000), makeBlock(80_000)];
  for (const b of slow) peer.serve(b.hash, b.data, 'slow');
  const rest = Array.from({ length: 20 }, () => makeBlock(1000));
  for (const b of rest) peer.serve(b.hash, b.data);
  const list = [...slow, ...rest].map((b) => ({ locator: b.locator, servers: [peer.url] }));
  assert.equal((await putPullList(target, list)).status, 200);
  await waitFor(
    async () => {
      const pulling = (await getStatus(target)).workers.flatMap((w) => w.pulling);
      return slow.every((b) => pulling.includes(b.locator) && peer.requests(b.hash) > 0);
    },
    10_000,
    'both slow pulls in flight',
  );

  const code = await target.stop();
  assert.equal(code, 0);
  for (const b of slow) assert.ok(await hasBlock(target.volumeRoot(0), b.hash), 'in-flight pull finished');
  for (const b of rest) assert.equal(peer.requests(b.hash), 0, 'no new pull after SIGTERM');
});
