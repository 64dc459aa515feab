/**
 * DELETE, PUT /untrash and the trash sweep on the real binary, with short TTLs: trash stays
 * recoverable until blobTrashLifetime has passed, then the sweep deletes it and says so.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminHeaders, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { placeBlock } from '../helpers/volume-fixtures.ts';
import { blockFiles, mtimeNs, placeOldBlock, putTrash, randomBlock, trashListJson, trashOutcome } from '../helpers/trash-fixtures.ts';

const LIFETIME_S = 3;
const HOUR = 3600;
const V0 = volumeUuid(0);
const V1 = volumeUuid(1);
let ks: Keepstore;

before(async () => {
  ks = await startKeepstore({
    volumeCount: 2,
    config: { blobSigningTTL: '2s', blobTrashLifetime: `${LIFETIME_S}s`, blobTrashCheckInterval: '1s' },
  });
});
after(() => ks?.destroy());

const del = (hash: string, headers: Record<string, string> = adminHeaders) => fetch(`${ks.url}/${hash}`, { method: 'DELETE', headers });
const untrash = (hash: string, headers: Record<string, string> = adminHeaders) =>
  fetch(`${ks.url}/untrash/${hash}`, { method: 'PUT', headers });

test('DELETE of an old block trashes every copy: 200 with counts; a young or unknown block: 404', async () => {
  const { data, hash } = randomBlock();
  await placeOldBlock(ks.volumeRoot(0), hash, data, HOUR);
  await placeOldBlock(ks.volumeRoot(1), hash, data, HOUR);
  const res = await del(`${hash}+${data.length}`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { copies_deleted: 2, copies_failed: 0 });
  for (const i of [0, 1]) assert.match((await blockFiles(ks.volumeRoot(i), hash))[0]!, /\.trash\.\d+$/);

  const young = randomBlock();
  await placeBlock(ks.volumeRoot(0), young.hash, young.data);
  assert.equal((await del(young.hash)).status, 404);
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), young.hash), [young.hash]);
  assert.equal((await del(randomBlock().hash)).status, 404);
  assert.equal((await del('not-a-locator')).status, 400);
});

test('untrash before the sweep restores the block, its bytes and its mtime; then 404', async () => {
  const { data, hash } = randomBlock();
  const mtime = await placeOldBlock(ks.volumeRoot(1), hash, data, HOUR);
  assert.equal((await del(hash)).status, 200);
  assert.equal((await blockFiles(ks.volumeRoot(1), hash)).includes(hash), false);
  const res = await untrash(`${hash}+${data.length}`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), `Successfully untrashed on: ${V1}\n`);
  assert.deepEqual(await blockFiles(ks.volumeRoot(1), hash), [hash]);
  assert.equal(await mtimeNs(ks.volumeRoot(1), hash), mtime);
  assert.deepEqual(await fs.readFile(path.join(ks.volumeRoot(1), hash.slice(0, 3), hash)), data);
  assert.equal((await untrash(hash)).status, 404, 'nothing left in trash');
  assert.equal((await untrash(randomBlock().hash)).status, 404, 'never trashed');
});

test('untrash restores the copy with the latest deadline first', async () => {
  const { data, hash } = randomBlock();
  const dir = path.join(ks.volumeRoot(0), hash.slice(0, 3));
  const far = Math.floor(Date.now() / 1000) + HOUR;
  const copies = [far, far + 60].map(async (deadline, i) => {
    const p = path.join(dir, `${hash}.trash.${deadline}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(p, data);
    const when = new Date(Date.now() - (i + 1) * HOUR * 1000);
    await fs.utimes(p, when, when);
    return (await fs.stat(p, { bigint: true })).mtimeNs;
  });
  const [, latestMtime] = await Promise.all(copies);
  assert.equal((await untrash(hash)).status, 200);
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), hash), [hash, `${hash}.trash.${far}`]);
  assert.equal(await mtimeNs(ks.volumeRoot(0), hash), latestMtime);
});

test('the sweep deletes expired trash, logs what it deleted, leaves unexpired trash; untrash afterwards is 404', async () => {
  const { data, hash } = randomBlock();
  const mtime = await placeOldBlock(ks.volumeRoot(0), hash, data, HOUR);
  const keep = randomBlock();
  const keepName = `${keep.hash}.trash.${Math.floor(Date.now() / 1000) + HOUR}`;
  await placeBlock(ks.volumeRoot(0), keep.hash, keep.data);
  await fs.rename(
    path.join(ks.volumeRoot(0), keep.hash.slice(0, 3), keep.hash),
    path.join(ks.volumeRoot(0), keep.hash.slice(0, 3), keepName),
  );

  const from = ks.logs.length;
  assert.equal((await putTrash(ks, trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: mtime, mountUuid: V0 }]))).status, 200);
  assert.equal((await trashOutcome(ks, from, hash, V0)).message, 'block trashed');
  const [trashName] = await blockFiles(ks.volumeRoot(0), hash);
  const deadline = Number(trashName!.split('.').pop());
  assert.ok(deadline <= Date.now() / 1000 + LIFETIME_S && deadline >= Date.now() / 1000 + LIFETIME_S - 2);

  const swept = await ks.waitForLog(
    (l) => l.message === 'trash sweep deleted expired blocks' && l.mount === V0 && (l['locators'] as string[]).includes(hash),
    LIFETIME_S * 1000 + 5000,
  );
  assert.ok(Date.now() / 1000 >= deadline, 'not deleted before its deadline');
  assert.equal(typeof swept.worker, 'number');
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), hash), []);
  assert.equal((await untrash(hash)).status, 404);
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), keep.hash), [keepName], 'unexpired trash stays');

  // One sweeper per volume: every sweep line for a volume comes from the same worker.
  const sweepers = (mount: string) =>
    new Set(ks.logs.filter((l) => l.message === 'trash sweep deleted expired blocks' && l.mount === mount).map((l) => l.worker));
  assert.equal(sweepers(V0).size, 1);
  assert.equal(
    ks.logs.some((l) => l.message === 'trash sweep failed'),
    false,
  );
});

test('DELETE, untrash and trash lists need the system root token: 401 without, 403 with another', async () => {
  const { data, hash } = randomBlock();
  await placeOldBlock(ks.volumeRoot(0), hash, data, HOUR);
  const wrong = { Authorization: 'Bearer not-the-root-token' };
  assert.equal((await del(hash, {})).status, 401);
  assert.equal((await del(hash, wrong)).status, 403);
  assert.equal((await untrash(hash, {})).status, 401);
  assert.equal((await untrash(hash, wrong)).status, 403);
  assert.equal((await putTrash(ks, '[]', {})).status, 401);
  assert.equal((await putTrash(ks, '[]', wrong)).status, 403);
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), hash), [hash]);
  assert.equal((await untrash(hash)).status, 404, 'the block was never trashed');
});
