/**
 * blobTrashLifetime 0: trashing deletes at once (no trash copy, nothing to untrash), from a
 * trash list and from DELETE alike.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminHeaders, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { blockFiles, placeOldBlock, putTrash, randomBlock, trashListJson, trashOutcome } from '../helpers/trash-fixtures.ts';

const HOUR = 3600;
let ks: Keepstore;

before(async () => {
  ks = await startKeepstore({ volumeCount: 2, config: { blobSigningTTL: '2s', blobTrashLifetime: 0, blobTrashCheckInterval: '1h' } });
});
after(() => ks?.destroy());

test('a trash-list entry deletes the block at once; untrash finds nothing', async () => {
  const { data, hash } = randomBlock();
  const mtime = await placeOldBlock(ks.volumeRoot(1), hash, data, HOUR);
  const from = ks.logs.length;
  assert.equal((await putTrash(ks, trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: mtime }]))).status, 200);
  assert.equal((await trashOutcome(ks, from, hash, volumeUuid(1))).message, 'block deleted');
  assert.deepEqual(await blockFiles(ks.volumeRoot(1), hash), [], 'no trash copy left behind');
  const res = await fetch(`${ks.url}/untrash/${hash}`, { method: 'PUT', headers: adminHeaders });
  assert.equal(res.status, 404);
});

test('DELETE deletes every old copy at once; the rules still hold (a young copy stays)', async () => {
  const { data, hash } = randomBlock();
  await placeOldBlock(ks.volumeRoot(0), hash, data, HOUR);
  await placeOldBlock(ks.volumeRoot(1), hash, data, 0); // young: protected by blobSigningTTL
  const res = await fetch(`${ks.url}/${hash}+${data.length}`, { method: 'DELETE', headers: adminHeaders });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { copies_deleted: 1, copies_failed: 0 });
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), hash), []);
  assert.deepEqual(await blockFiles(ks.volumeRoot(1), hash), [hash]);
});
