/**
 * A corrupt stored copy (its bytes no longer hash to its name) is found, reported and
 * repaired (issue 14.1): a re-PUT of the right bytes replaces it, a pull replaces it instead of
 * only touching it, a GET that finds it takes it out of the index (trash), and every finding is
 * one log line naming mount and locator plus keepstore_volume_corrupt_blocks_total{mount}.
 * A real MD5 collision stays 500 (http-block-faults.test.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { parsePrometheus, sumOf } from '../helpers/http-client.ts';
import { bearer, blockFile, filesUnder, makeBlock, md5, request, sign, type Block } from '../helpers/keep-http.ts';
import { adminHeaders, MGMT_TOKEN, SIGNING_KEY, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { runPullList } from '../helpers/pull-helpers.ts';

const TOKEN = 'corrupt-copy-test-token';
const MOUNT = volumeUuid(0);

let ks: Keepstore;
let peer: FakePeer;
before(async () => {
  [ks, peer] = await Promise.all([startKeepstore({ workers: 2, volumeCount: 1 }), startFakePeer({ signingKey: SIGNING_KEY })]);
});
after(() => Promise.all([ks?.destroy(), peer?.close()]));

const file = (hash: string) => blockFile(ks.volumeRoot(0), hash);

/** Stores `b` through a PUT, then overwrites its file with same-size other bytes. */
async function storeCorrupt(b: Block): Promise<Buffer> {
  assert.equal((await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(TOKEN) })).status, 200);
  const bad = Buffer.from(b.data);
  bad[0]! ^= 0xff;
  await fs.writeFile(file(b.hash), bad);
  return bad;
}

async function corruptCount(): Promise<number> {
  const res = await request(`${ks.url}/metrics`, { headers: bearer(MGMT_TOKEN) });
  assert.equal(res.status, 200);
  return sumOf(parsePrometheus(res.body.toString()), 'keepstore_volume_corrupt_blocks_total', { mount: MOUNT });
}

const corruptLine = (hash: string, found: string) =>
  ks.waitForLog((l) => l.message === 'stored block is corrupt' && l['locator'] === hash && l['found'] === found);

test('a re-PUT of the right bytes replaces a corrupt copy (was: 500 hash collision), logged and counted', async () => {
  const b = makeBlock(100_000);
  await storeCorrupt(b);
  const before = await corruptCount();
  const res = await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(TOKEN) });
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(md5(await fs.readFile(file(b.hash))), b.hash, 'the stored copy is intact again');
  const line = await corruptLine(b.hash, 'PUT');
  assert.equal(line['mount'], MOUNT);
  assert.equal(line['action'], 'replaced');
  assert.equal(await corruptCount(), before + 1);
  assert.deepEqual(
    (await filesUnder(ks.volumeRoot(0))).filter((f) => f.includes(b.hash)),
    [path.relative(ks.volumeRoot(0), file(b.hash))],
  );
});

test('a pull of a corrupt copy fetches and stores a good one (was: only touched), logged and counted', async () => {
  const b = makeBlock(50_000);
  await storeCorrupt(b);
  peer.serve(b.hash, b.data);
  const before = await corruptCount();
  const q = await runPullList(ks, [{ locator: b.locator, servers: [peer.url] }]);
  assert.equal(q.failed, 0);
  assert.equal(peer.requests(b.hash), 1, 'the block was fetched, not just touched');
  assert.equal(md5(await fs.readFile(file(b.hash))), b.hash);
  const line = await corruptLine(b.hash, 'pull');
  assert.equal(line['mount'], MOUNT);
  assert.equal(await corruptCount(), before + 1);
});

test('a pull of an intact stored copy only touches it (no fetch)', async () => {
  const b = makeBlock(30_000);
  assert.equal((await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(TOKEN) })).status, 200);
  const old = new Date('2020-01-01T00:00:00Z');
  await fs.utimes(file(b.hash), old, old);
  peer.serve(b.hash, b.data);
  await runPullList(ks, [{ locator: b.locator, servers: [peer.url] }]);
  assert.equal(peer.requests(b.hash), 0);
  assert.ok((await fs.stat(file(b.hash))).mtimeMs > old.getTime(), 'touched');
});

test('a GET that finds a corrupt copy answers 502 and moves it to trash, so /index stops listing it', async () => {
  const b = makeBlock(5000);
  const bad = await storeCorrupt(b);
  const before = await corruptCount();
  const res = await request(`${ks.url}/${sign(b.locator, TOKEN)}`, { headers: bearer(TOKEN) });
  assert.equal(res.status, 502);
  const line = await corruptLine(b.hash, 'GET');
  assert.equal(line['mount'], MOUNT);
  assert.equal(line['action'], 'trashed');
  assert.equal(await corruptCount(), before + 1);
  const index = await request(`${ks.url}/index/${b.hash}`, { headers: adminHeaders });
  assert.equal(index.body.toString(), '\n', 'not listed');
  const trashed = (await filesUnder(ks.volumeRoot(0))).filter((f) => f.includes(`${b.hash}.trash.`));
  assert.equal(trashed.length, 1, 'kept in trash for inspection');
  assert.ok((await fs.readFile(path.join(ks.volumeRoot(0), trashed[0]!))).equals(bad));
});
