/**
 * A pull that takes its worker down every time (a poison pill) must not crash every
 * replacement forever: after three worker deaths while running it, the primary drops the entry
 * as failed, logs it, and the rest of the list goes on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, hasBlock, makeBlock, putPullList, waitForPullIdle } from '../helpers/pull-helpers.ts';

let target: Keepstore;
let peer: FakePeer;

before(async () => {
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 1, volumeCount: 1, config: { pullConcurrency: 1, pullConnectTimeout: '60s' } }),
    startFakePeer({ signingKey: SIGNING_KEY }),
  ]);
});
after(async () => {
  await peer?.close();
  await target?.destroy();
});

test('an entry whose worker dies three times is dropped; the list goes on', async () => {
  const poison = makeBlock(1000);
  peer.serve(poison.hash, poison.data, 'hang'); // in flight until we kill the worker
  const fine = makeBlock(1000);
  peer.serve(fine.hash, fine.data);
  const before = (await getStatus(target)).pullQueue;
  const list = [poison, fine].map((b) => ({ locator: b.locator, servers: [peer.url] }));
  assert.equal((await putPullList(target, list)).status, 200);

  for (let kill = 1; kill <= 3; kill++) {
    const w = await waitFor(
      async () =>
        (await getStatus(target)).workers.find((x) => x.pid !== null && x.state === 'listening' && x.pulling.includes(poison.locator)),
      20_000,
      `the poison pull in flight (${kill})`,
    );
    process.kill(w.pid!, 'SIGKILL');
    await waitFor(async () => (await getStatus(target)).workers[0]!.restarts >= kill, 20_000, `restart ${kill}`);
  }
  const q = await waitForPullIdle(target, before.done + before.failed + 2, 30_000);
  assert.equal(q.failed, before.failed + 1);
  assert.ok(await hasBlock(target.volumeRoot(0), fine.hash), 'the rest of the list was pulled');
  const dropped = target.logs.find((l) => l.message === 'pull job dropped: its worker died every time it ran');
  assert.equal(dropped?.['locator'], poison.locator);
  assert.equal(peer.requests(poison.hash), 3);
});
