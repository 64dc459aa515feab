/**
 * Trash lists end to end on the real binary: which copies a trash-list entry may move to
 * trash (mtime equal to the nanosecond, older than blobSigningTTL, trash-allowed volume,
 * mount_uuid), with real files and back-dated mtimes.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminHeaders, startKeepstore, volumeUuid, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import {
  blockFiles,
  mtimeNs,
  placeOldBlock,
  putTrash,
  randomBlock,
  status,
  trashListJson,
  trashOutcome,
  trashQueueIdle,
} from '../helpers/trash-fixtures.ts';

const TTL_MS = 3000; // short, yet a generous margin for the too-young case on a busy CI box
const HOUR = 3600;
let ks: Keepstore;
let dir: string;
const V0 = volumeUuid(0);
const V1 = volumeUuid(1);
const RO = volumeUuid(2);
let roots: string[];
/** PUT at start (the kernel sets a full-nanosecond mtime); it ages while the other tests run. */
let kernelBlock: { data: Buffer; hash: string; root: string };

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keepstore-trash-list-'));
  roots = [0, 1, 2].map((i) => path.join(dir, `vol${i}`));
  await mkdir(roots[2]!, { recursive: true }); // a read-only root must exist
  ks = await startKeepstore({
    dir,
    config: {
      volumes: [
        { uuid: V0, root: roots[0] },
        { uuid: V1, root: roots[1] },
        { uuid: RO, root: roots[2], readOnly: true },
      ],
      blobSigningTTL: '3s',
      blobTrashLifetime: '1h',
      blobTrashCheckInterval: '1h', // no sweep during these tests
    },
  });
  const { data, hash } = randomBlock();
  kernelBlock = { data, hash, root: await putBlock(data, hash) };
});
after(async () => {
  await ks?.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function sendList(body: string): Promise<number> {
  const from = ks.logs.length;
  const res = await putTrash(ks, body);
  assert.equal(res.status, 200, await res.text());
  return from;
}

/** PUT a block over HTTP (the kernel sets a full-nanosecond mtime); returns the root that holds it. */
async function putBlock(data: Buffer, hash: string): Promise<string> {
  const res = await fetch(`${ks.url}/${hash}`, { method: 'PUT', body: data });
  assert.equal(res.status, 200, await res.text());
  const holders = [];
  for (const root of roots) if ((await blockFiles(root, hash)).includes(hash)) holders.push(root);
  assert.equal(holders.length, 1);
  return holders[0]!;
}

/** The mtime the server's own index reports for `hash`, as exact digits. */
async function indexMtime(hash: string): Promise<string> {
  const res = await fetch(`${ks.url}/index/${hash}`, { headers: adminHeaders });
  assert.equal(res.status, 200);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${hash}+`));
  assert.ok(line, 'block in the index');
  return line.split(' ')[1]!;
}

test('a block younger than blobSigningTTL is not trashed, even with the exact mtime', async () => {
  const { data, hash } = randomBlock();
  const root = await putBlock(data, hash);
  const mount = root === roots[0] ? V0 : V1;
  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: await mtimeNs(root, hash) }]));
  assert.equal((await trashOutcome(ks, from, hash, mount)).message, 'trash list entry skipped: block is newer than blobSigningTTL');
  assert.deepEqual(await blockFiles(root, hash), [hash]);
});

test('without mount_uuid every trash-allowed volume is considered; each outcome is logged', async () => {
  const { data, hash } = randomBlock();
  const mtime = await placeOldBlock(roots[0]!, hash, data, HOUR);
  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: mtime }]));
  assert.equal((await trashOutcome(ks, from, hash, V0)).message, 'block trashed');
  assert.equal((await trashOutcome(ks, from, hash, V1)).message, 'trash list entry skipped: block not found on volume');
  assert.equal(
    ks.logs.slice(from).some((l) => l.mount === RO && l.locator === `${hash}+${data.length}`),
    false,
    'no job on the read-only volume',
  );
});

test('mount_uuid restricts the entry to that volume', async () => {
  const { data, hash } = randomBlock();
  const when = new Date(Date.now() - HOUR * 1000);
  const m0 = await placeOldBlock(roots[0]!, hash, data, when);
  const m1 = await placeOldBlock(roots[1]!, hash, data, when);
  assert.equal(m0, m1, 'both copies match the entry');
  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: m1, mountUuid: V1 }]));
  assert.equal((await trashOutcome(ks, from, hash, V1)).message, 'block trashed');
  await trashQueueIdle(ks);
  assert.equal(
    ks.logs.slice(from).some((l) => l.mount === V0 && String(l.locator).startsWith(hash)),
    false,
    'no job on the other volume',
  );
  assert.deepEqual(await blockFiles(roots[0]!, hash), [hash]);
  assert.match((await blockFiles(roots[1]!, hash))[0]!, /\.trash\.\d+$/);
});

test('Arvados ordering rule: the newer copy on one volume survives, the old copy on another is trashed', async () => {
  const { data, hash } = randomBlock();
  const old = await placeOldBlock(roots[0]!, hash, data, 2 * HOUR);
  const newer = await placeOldBlock(roots[1]!, hash, data, HOUR); // rewritten later, also past the TTL
  assert.notEqual(old, newer);
  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: old }]));
  assert.equal((await trashOutcome(ks, from, hash, V0)).message, 'block trashed');
  assert.equal((await trashOutcome(ks, from, hash, V1)).message, 'trash list entry skipped: block mtime does not match');
  assert.deepEqual(await blockFiles(roots[1]!, hash), [hash]);
  assert.equal(await mtimeNs(roots[1]!, hash), newer);
});

/** Outcome lines of trash jobs for `hash` logged since log index `from`. */
const outcomesSince = (from: number, hash: string) =>
  ks.logs
    .slice(from)
    .filter(
      (l) => String(l.locator).startsWith(hash) && (l.message === 'block trashed' || l.message.startsWith('trash list entry skipped')),
    );

for (const order of ['wrong mtime first', 'right mtime first'] as const) {
  test(`two entries for one block with different block_mtime are judged each on its own (${order}); counts add up`, async () => {
    const { data, hash } = randomBlock();
    const mtime = await placeOldBlock(roots[0]!, hash, data, HOUR);
    const locator = `${hash}+${data.length}`;
    const right = { locator, blockMtime: mtime, mountUuid: V0 };
    const wrong = { locator, blockMtime: mtime - 1000n, mountUuid: V0 };
    await trashQueueIdle(ks);
    const before = (await status(ks)).trashQueue;
    const from = await sendList(trashListJson(order === 'wrong mtime first' ? [wrong, right] : [right, wrong]));
    const q = await trashQueueIdle(ks);
    assert.match((await blockFiles(roots[0]!, hash))[0]!, /\.trash\.\d+$/, 'the entry with the right mtime trashed the block');
    const outcomes = outcomesSince(from, hash);
    assert.equal(outcomes.length, 2, `one outcome per entry: ${JSON.stringify(outcomes)}`);
    assert.equal(outcomes.filter((l) => l.message === 'block trashed').length, 1);
    assert.deepEqual(
      { listSize: q.listSize, queued: q.queued, inProgress: q.inProgress, done: q.done - before.done, failed: q.failed - before.failed },
      { listSize: 2, queued: 0, inProgress: 0, done: 1, failed: 1 },
    );
  });
}

test('an entry fanned out to every volume counts once in /status.json', async () => {
  const { data, hash } = randomBlock();
  const mtime = await placeOldBlock(roots[0]!, hash, data, HOUR);
  await trashQueueIdle(ks);
  const before = (await status(ks)).trashQueue;
  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: mtime }]));
  const q = await trashQueueIdle(ks);
  assert.equal(outcomesSince(from, hash).length, 2, 'one job per writable volume');
  // Trashed on V0, not found on V1: the entry failed (a skipped job counts as failed), once.
  assert.equal(q.done - before.done + (q.failed - before.failed), q.listSize);
});

test('a block PUT again after the balancer read the index is never trashed', async () => {
  const { data, hash } = randomBlock();
  await placeOldBlock(roots[0]!, hash, data, HOUR);
  const seen = BigInt(await indexMtime(hash));
  const res = await fetch(`${ks.url}/${hash}`, { method: 'PUT', body: data }); // touches the stored copy
  assert.equal(res.status, 200);
  assert.notEqual(await mtimeNs(roots[0]!, hash), seen, 'the PUT touched the copy');
  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: seen, mountUuid: V0 }]));
  assert.equal((await trashOutcome(ks, from, hash, V0)).message, 'trash list entry skipped: block mtime does not match');
  assert.deepEqual(await blockFiles(roots[0]!, hash), [hash]);
});

test('read-only and unknown mounts: entries naming them are logged and skipped, the read-only copy stays', async () => {
  const { data, hash } = randomBlock();
  const ro = await placeOldBlock(roots[2]!, hash, data, HOUR);
  const rw = await placeOldBlock(roots[0]!, hash, data, HOUR);
  const locator = `${hash}+${data.length}`;
  const unknown = 'zzzzz-nyw5e-999999999999999';
  const from = await sendList(
    trashListJson([
      { locator, blockMtime: ro, mountUuid: RO },
      { locator, blockMtime: ro, mountUuid: unknown },
      { locator, blockMtime: rw }, // no mount: the writable copy only
    ]),
  );
  const skipped = (message: string, mount: string) =>
    waitFor(() => ks.logs.slice(from).find((l) => l.message === message && l.locator === locator && l.mount === mount), 10_000, message);
  await skipped('ignoring trash list entry for readonly mount', RO);
  await skipped('ignoring trash list entry for nonexistent mount', unknown);
  assert.equal((await trashOutcome(ks, from, hash, V0)).message, 'block trashed');
  assert.deepEqual(await blockFiles(roots[2]!, hash), [hash]);
  assert.equal(await mtimeNs(roots[2]!, hash), ro);
});

test('DELETE never touches a copy on a read-only volume', async () => {
  const { data, hash } = randomBlock();
  await placeOldBlock(roots[2]!, hash, data, HOUR);
  const res = await fetch(`${ks.url}/${hash}`, { method: 'DELETE', headers: adminHeaders });
  assert.equal(res.status, 404);
  assert.deepEqual(await blockFiles(roots[2]!, hash), [hash]);
});

test('block_mtime is a BigInt end to end: index digits exact, off by 1 ns is refused, exact is trashed', async () => {
  const { data, hash, root } = kernelBlock;
  const mount = root === roots[0] ? V0 : V1;
  const stored = await mtimeNs(root, hash);
  const fromIndex = await indexMtime(hash);
  assert.equal(fromIndex, stored.toString(), 'the index prints the stat mtime to the nanosecond');
  // The block aged naturally (PUT in before()), so its mtime keeps the kernel's nanosecond digits.
  await waitFor(() => Date.now() - Number(stored / 1_000_000n) > TTL_MS + 100, 5000, 'the block to age');

  for (const delta of [1n, -1n]) {
    const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: stored + delta }]));
    const outcome = await trashOutcome(ks, from, hash, mount);
    assert.equal(outcome.message, 'trash list entry skipped: block mtime does not match');
    assert.equal(outcome['blockMtime'], (stored + delta).toString());
    assert.equal(outcome['mtime'], stored.toString());
    assert.deepEqual(await blockFiles(root, hash), [hash]);
  }

  const from = await sendList(trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: BigInt(fromIndex) }]));
  assert.equal((await trashOutcome(ks, from, hash, mount)).message, 'block trashed');
  const files = await blockFiles(root, hash);
  assert.equal(files.length, 1);
  assert.match(files[0]!, new RegExp(`^${hash}\\.trash\\.\\d+$`));
  const deadline = Number(files[0]!.split('.').pop());
  assert.ok(Math.abs(deadline - (Date.now() / 1000 + HOUR)) < 10, 'deadline = now + blobTrashLifetime');
});
