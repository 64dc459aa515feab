import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NotFoundError } from '../../packages/server/src/errors.ts';
import type { TrashGuard } from '../../packages/server/src/volume/volume.ts';
import { exists, listFiles, makeTempDir, makeVolume, placeBlock, randomBlock, collect } from '../helpers/volume-fixtures.ts';

/** Trash whatever is there (the trash rules are tested in trash-rules and trash-guarded-rename). */
const ACCEPT: TrashGuard = () => null;

let base: string;
before(async () => {
  base = await makeTempDir();
});
after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const NOW = 1_700_000_000; // unix seconds

test('trash renames to HASH.trash.DEADLINE; the block is gone from stat and index', async () => {
  const v = await makeVolume(base, 'trash');
  const { data, hash } = randomBlock();
  await placeBlock(v.root, hash, data);
  await v.trashIf(hash, ACCEPT, 3600, NOW);
  const dir = hash.slice(0, 3);
  assert.deepEqual(await listFiles(v.root), [`${dir}/${hash}.trash.${NOW + 3600}`]);
  assert.equal(await v.stat(hash), null);
  assert.deepEqual(await collect(v.index('')), []);
  await assert.rejects(v.trashIf(hash, ACCEPT, 3600, NOW), NotFoundError);
});

test('lifetime 0 deletes at once', async () => {
  const v = await makeVolume(base, 'zero');
  const { data, hash } = randomBlock();
  await placeBlock(v.root, hash, data);
  await v.trashIf(hash, ACCEPT, 0, NOW);
  assert.deepEqual(await listFiles(v.root), []);
});

test('untrash restores the copy with the latest deadline', async () => {
  const v = await makeVolume(base, 'untrash');
  const { hash } = randomBlock();
  // Distinct contents make it visible which trash copy came back.
  for (const [content, now] of [
    ['early', NOW],
    ['latest', NOW + 500],
    ['middle', NOW + 100],
  ] as const) {
    await placeBlock(v.root, hash, Buffer.from(content));
    await v.trashIf(hash, ACCEPT, 1000, now);
  }
  await v.untrash(hash);
  assert.equal(await fs.readFile(path.join(v.root, hash.slice(0, 3), hash), 'utf8'), 'latest');
  const rest = await listFiles(v.root);
  assert.deepEqual(rest.filter((f) => f.includes('.trash.')).sort(), [
    `${hash.slice(0, 3)}/${hash}.trash.${NOW + 1000}`,
    `${hash.slice(0, 3)}/${hash}.trash.${NOW + 1100}`,
  ]);
  await v.untrash(hash); // next latest, over the stored block (Arvados does the same)
  assert.equal(await fs.readFile(path.join(v.root, hash.slice(0, 3), hash), 'utf8'), 'middle');
});

test('untrash without a trash copy is NotFoundError, even when the block is stored', async () => {
  const v = await makeVolume(base, 'untrash-none');
  const { data, hash } = randomBlock();
  await assert.rejects(v.untrash(hash), NotFoundError);
  await placeBlock(v.root, hash, data);
  await assert.rejects(v.untrash(hash), NotFoundError);
  // Another block's trash in the same directory does not count.
  const other = hash.slice(0, 3) + 'f'.repeat(29);
  await placeBlock(v.root, other, Buffer.from('x'));
  await v.trashIf(other, ACCEPT, 10, NOW);
  await assert.rejects(v.untrash(hash), NotFoundError);
});

test('emptyTrash deletes only expired trash and reports it', async () => {
  const v = await makeVolume(base, 'empty');
  const a = randomBlock();
  const b = randomBlock();
  const keep = randomBlock();
  for (const blk of [a, b, keep]) await placeBlock(v.root, blk.hash, blk.data);
  await v.trashIf(a.hash, ACCEPT, 10, NOW); // deadline NOW+10
  await v.trashIf(b.hash, ACCEPT, 20, NOW); // deadline NOW+20
  const deleted = await collect(v.emptyTrash(NOW + 10));
  assert.deepEqual(deleted, [{ hash: a.hash, deadline: NOW + 10 }]);
  assert.deepEqual(await collect(v.emptyTrash(NOW + 10)), []);
  assert.deepEqual(await collect(v.emptyTrash(NOW + 1000)), [{ hash: b.hash, deadline: NOW + 20 }]);
  assert.deepEqual(await listFiles(v.root), [`${keep.hash.slice(0, 3)}/${keep.hash}`]);
});

test('removeAbandonedWrites deletes old temp files only; 0 deletes all of them', async () => {
  const v = await makeVolume(base, 'stale');
  const { data, hash } = randomBlock();
  await placeBlock(v.root, hash, data);
  await v.trashIf(hash, ACCEPT, 10, NOW);
  await placeBlock(v.root, hash, data);
  const dir = path.join(v.root, hash.slice(0, 3));
  const old = path.join(dir, `tmp${hash}-old`);
  const arvadosStyle = path.join(dir, `tmp${hash}123456`);
  const fresh = path.join(dir, `tmp${hash}-fresh`);
  for (const p of [old, arvadosStyle, fresh]) await fs.writeFile(p, 'partial');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  await fs.utimes(old, twoHoursAgo, twoHoursAgo);
  await fs.utimes(arvadosStyle, twoHoursAgo, twoHoursAgo);

  assert.equal(await v.removeAbandonedWrites(3600_000), 2);
  assert.equal(await exists(old), false);
  assert.equal(await exists(arvadosStyle), false);
  assert.equal(await exists(fresh), true);
  assert.equal(await v.removeAbandonedWrites(0), 1);
  assert.deepEqual(await listFiles(v.root), [`${hash.slice(0, 3)}/${hash}`, `${hash.slice(0, 3)}/${hash}.trash.${NOW + 10}`]);
});

test('a temp file of a write in progress survives the periodic sweep', async () => {
  const v = await makeVolume(base, 'inprogress');
  const { data, hash } = randomBlock();
  const pending = await v.beginWrite(hash);
  await new Promise<void>((r) => pending.stream.write(data, () => r()));
  assert.equal(await v.removeAbandonedWrites(3600_000), 0);
  assert.equal(await exists(pending.path), true);
  await pending.discard();
});
