/**
 * A worker SIGKILLed in the middle of a trash list: every block is either still in place or
 * in trash (each move is one atomic rename in the block's directory), none is lost, and the
 * dead worker's entries are requeued and carried out by its replacement.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startKeepstore, volumeUuid, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { listFiles } from '../helpers/volume-fixtures.ts';
import {
  placeOldBlock,
  putTrash,
  randomBlock,
  status,
  trashListJson,
  trashQueueIdle,
  type WireTrashEntry,
} from '../helpers/trash-fixtures.ts';

const N = 4000;
const V0 = volumeUuid(0);
let ks: Keepstore;

before(async () => {
  ks = await startKeepstore({
    volumeCount: 2,
    config: {
      blobSigningTTL: '2s',
      blobTrashLifetime: '1h',
      blobTrashCheckInterval: '1h',
      trashConcurrency: 8,
      log: { level: 'info', format: 'json' },
    },
  });
  await waitFor(async () => (await status(ks)).workers.every((w) => w.state === 'listening'), 15_000, 'every worker listening');
});
after(() => ks?.destroy());

/** N old blocks on volume 0, placed 100 at a time. */
async function placeBlocks(): Promise<WireTrashEntry[]> {
  const when = new Date(Date.now() - 3600_000);
  const entries: WireTrashEntry[] = [];
  for (let i = 0; i < N; i += 100) {
    const batch = Array.from({ length: Math.min(100, N - i) }, async () => {
      const { data, hash } = randomBlock(64);
      const blockMtime = await placeOldBlock(ks.volumeRoot(0), hash, data, when);
      return { locator: `${hash}+${data.length}`, blockMtime, mountUuid: V0 };
    });
    entries.push(...(await Promise.all(batch)));
  }
  return entries;
}

test('a worker killed mid-trash loses no block, and its entries are requeued and finished', async () => {
  const entries = await placeBlocks();
  const owner = (await status(ks)).workers.find((w) => w.volumes.includes(V0))!;
  assert.ok(owner.pid);
  assert.equal((await putTrash(ks, trashListJson(entries))).status, 200);

  // Kill the worker that owns volume 0 once it is well into the list.
  const atKill = await waitFor(
    async () => {
      const q = (await status(ks)).trashQueue;
      return q.done >= 50 ? q : undefined;
    },
    20_000,
    'trashing to be under way',
  );
  process.kill(owner.pid, 'SIGKILL');
  assert.ok(atKill.done < N, `killed mid-list (done ${atKill.done} of ${N})`);

  await ks.waitForLog((l) => l.message === 'requeueing trash jobs of a dead worker' && l['workerIndex'] === owner.index);
  await waitFor(
    async () => (await status(ks)).workers.find((w) => w.index === owner.index && w.state === 'listening' && w.pid !== owner.pid),
    20_000,
    'the replacement worker',
  );
  const q = await trashQueueIdle(ks, 30_000);
  // Each block is trashed once (ok); a rerun of an entry whose rename beat the kill finds
  // nothing to trash (failed), so oks never exceed N and every entry has an outcome.
  assert.ok(q.done <= N && q.done + q.failed >= N, `done ${q.done}, failed ${q.failed}`);

  // Every block is in exactly one place, and (requeued entries included) all ended in trash.
  const places = new Map<string, string[]>();
  for (const f of await listFiles(ks.volumeRoot(0))) {
    const name = f.split('/')[1]!;
    const hash = name.slice(0, 32);
    places.set(hash, [...(places.get(hash) ?? []), name]);
  }
  const misplaced = entries
    .map(({ locator }) => locator.slice(0, 32))
    .filter((hash) => {
      const names = places.get(hash) ?? [];
      return names.length !== 1 || !names[0]!.startsWith(`${hash}.trash.`);
    });
  assert.deepEqual(misplaced, [], 'each block is in trash exactly once');
  assert.equal([...places.values()].flat().length, N, 'no stray files (temp or partial)');
});
