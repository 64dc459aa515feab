/**
 * Where pulled blocks land: mount_uuid pins the volume; without it, the first writable volume
 * in the block's rendezvous order. Entries for an unknown or a read-only mount are logged and
 * skipped (by the primary, which routes them) and never fetched.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rendezvousOrder } from '../../packages/protocol/src/index.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { hasBlock, logsWith, makeBlock, runPullList, type Block } from '../helpers/pull-helpers.ts';

const RO = 2; // volume 2 is read-only
let dir: string;
let target: Keepstore;
let peer: FakePeer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keepstore-pull-mounts-'));
  await mkdir(path.join(dir, `vol${RO}`), { recursive: true }); // a read-only root must exist
  const volumes = [0, 1, 2].map((i) => ({ uuid: volumeUuid(i), root: path.join(dir, `vol${i}`), readOnly: i === RO }));
  [target, peer] = await Promise.all([
    startKeepstore({ dir, workers: 2, config: { volumes, pullIdleTimeout: '1s', pullConnectTimeout: '1s' } }),
    startFakePeer({ signingKey: SIGNING_KEY }),
  ]);
});
after(async () => {
  await Promise.all([target?.destroy(), peer?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const volumes = [0, 1, 2].map((i) => ({ uuid: volumeUuid(i), priority: 0, index: i }));
const root = (i: number) => path.join(dir, `vol${i}`);

/** A block whose rendezvous order puts volume `first` first. */
function blockPreferring(first: number): Block {
  for (;;) {
    const b = makeBlock(20_000);
    if (rendezvousOrder(b.hash, volumes)[0]!.index === first) return b;
  }
}

test('without mount_uuid a block lands on the first writable volume in rendezvous order', async () => {
  const onZero = blockPreferring(0);
  const onRo = blockPreferring(RO); // read-only first: the next writable one in order takes it
  for (const b of [onZero, onRo]) peer.serve(b.hash, b.data);
  await runPullList(
    target,
    [onZero, onRo].map((b) => ({ locator: b.locator, servers: [peer.url] })),
  );
  assert.ok(await hasBlock(root(0), onZero.hash));
  const second = rendezvousOrder(onRo.hash, volumes)[1]!.index;
  assert.ok(await hasBlock(root(second), onRo.hash), `on volume ${second}`);
  assert.equal(await hasBlock(root(RO), onRo.hash), false);
});

test('mount_uuid pins the volume, even against the rendezvous order', async () => {
  const b = blockPreferring(0);
  peer.serve(b.hash, b.data);
  await runPullList(target, [{ locator: b.locator, servers: [peer.url], mount_uuid: volumeUuid(1) }]);
  assert.ok(await hasBlock(root(1), b.hash));
  assert.equal(await hasBlock(root(0), b.hash), false);
  const line = logsWith(target, 'block pulled').find((l) => l['locator'] === b.locator);
  assert.equal(line?.['mount'], volumeUuid(1));
});

test('the same block pinned to two mounts is pulled onto both', async () => {
  const b = makeBlock(20_000);
  peer.serve(b.hash, b.data);
  await runPullList(
    target,
    [0, 1].map((i) => ({ locator: b.locator, servers: [peer.url], mount_uuid: volumeUuid(i) })),
  );
  assert.ok(await hasBlock(root(0), b.hash));
  assert.ok(await hasBlock(root(1), b.hash));
});

test('entries for a nonexistent or a read-only mount are logged, skipped and never fetched', async () => {
  const [ghost, ro, fine] = [makeBlock(1000), makeBlock(1000), makeBlock(1000)];
  for (const b of [ghost, ro, fine]) peer.serve(b.hash, b.data);
  const q = await runPullList(target, [
    { locator: ghost.locator, servers: [peer.url], mount_uuid: 'zzzzz-nyw5e-999999999999999' },
    { locator: ro.locator, servers: [peer.url], mount_uuid: volumeUuid(RO) },
    { locator: fine.locator, servers: [peer.url] },
  ]);
  assert.ok(q.failed >= 2);
  const nonexistent = logsWith(target, 'ignoring pull list entry for nonexistent mount');
  assert.ok(nonexistent.some((l) => l['locator'] === ghost.locator && l['mount'] === 'zzzzz-nyw5e-999999999999999'));
  const readonly = logsWith(target, 'ignoring pull list entry for readonly mount');
  assert.ok(readonly.some((l) => l['locator'] === ro.locator && l['mount'] === volumeUuid(RO)));
  assert.equal(peer.requests(ghost.hash), 0);
  assert.equal(peer.requests(ro.hash), 0);
  assert.equal(peer.requests(fine.hash), 1);
});
