/**
 * A worker SIGKILLed in the middle of pulls loses nothing (README "Pull lists"): its
 * in-flight entries go back to the head of the list, a respawned worker takes its volumes and
 * pulls them, and its cut-off temp files never become blocks. The worker's pid comes from
 * /status.json, as an operator would find it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import {
  assertNoBadBlocks,
  getStatus,
  hasBlock,
  makeBlock,
  putPullList,
  waitForPullIdle,
  pullEntriesFrom,
} from '../helpers/pull-helpers.ts';

let target: Keepstore;
let peer: FakePeer;

before(async () => {
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 2, volumeCount: 2, config: { pullConcurrency: 2, pullIdleTimeout: '2s' } }),
    // 1 MiB in 10 pieces 80 ms apart: each pull takes ~0.8 s, long enough to be killed mid-way.
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 10, slowDelayMs: 80 }),
  ]);
});
after(async () => {
  await peer?.close();
  await target?.destroy();
});

test('a worker killed mid-pull: its entries are pulled again by its replacement, every block intact', async () => {
  const blocks = Array.from({ length: 12 }, () => makeBlock(1024 * 1024));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow');
  const before = (await getStatus(target)).pullQueue;
  assert.equal((await putPullList(target, pullEntriesFrom(peer.url, blocks))).status, 200);

  const victim = await waitFor(
    // Mid-transfer: the peer has been asked for everything the worker is pulling.
    async () =>
      (await getStatus(target)).workers.find(
        (w) => w.pid !== null && w.pulling.length > 0 && w.pulling.every((l) => peer.requests(l.slice(0, 32)) > 0),
      ),
    10_000,
    'a worker in the middle of pulls',
  );
  const interrupted = [...victim.pulling];
  process.kill(victim.pid!, 'SIGKILL');

  await waitForPullIdle(target, before.done + before.failed + blocks.length, 60_000);
  const { workers, pullQueue } = await getStatus(target);
  const respawned = workers.find((w) => w.index === victim.index)!;
  assert.notEqual(respawned.pid, victim.pid);
  assert.equal(respawned.restarts, 1);
  assert.equal(pullQueue.failed, before.failed, 'no entry lost or failed');

  const roots = [target.volumeRoot(0), target.volumeRoot(1)];
  for (const b of blocks) {
    const stored = (await Promise.all(roots.map((r) => hasBlock(r, b.hash)))).some(Boolean);
    assert.ok(stored, `${b.locator} stored`);
  }
  for (const root of roots) await assertNoBadBlocks(root);
  for (const locator of interrupted) assert.equal(peer.requests(locator.slice(0, 32)), 2, `${locator} fetched again`);
  assert.ok(target.logs.some((l) => l.message === 'requeueing pull jobs of a dead worker'));
});
