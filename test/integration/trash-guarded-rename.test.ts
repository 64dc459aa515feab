/**
 * DirectoryVolume.trashIf on real files: the trash rule is checked again on the copy actually
 * renamed, so a touch (a PUT of the same block) that lands between the check and the rename
 * puts the block back instead of losing a write the client was told is stored.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NotFoundError } from '../../packages/server/src/errors.ts';
import type { BlockStat } from '../../packages/server/src/volume/volume.ts';
import { listFiles, makeTempDir, makeVolume, randomBlock } from '../helpers/volume-fixtures.ts';
import { placeOldBlock } from '../helpers/trash-fixtures.ts';

const NOW_S = Math.floor(Date.now() / 1000);
let base: string;
before(async () => {
  base = await makeTempDir('keepstore-trash-if-');
});
after(() => rm(base, { recursive: true, force: true }));

test('a copy touched between the check and the rename is renamed back, with its new mtime', async () => {
  const v = await makeVolume(base, 'race');
  const { data, hash } = randomBlock();
  const old = await placeOldBlock(v.root, hash, data, 3600);
  const seen: bigint[] = [];
  const guard = (st: BlockStat): string | null => {
    seen.push(st.mtimeNs);
    if (seen.length === 1) {
      const now = new Date();
      fs.utimesSync(path.join(v.root, hash.slice(0, 3), hash), now, now); // the racing PUT's touch
      return null;
    }
    return st.mtimeNs === old ? null : 'block mtime does not match';
  };
  assert.equal(await v.trashIf(hash, guard, 3600, NOW_S), 'block mtime does not match (changed while being trashed)');
  assert.equal(seen.length, 2);
  assert.notEqual(seen[1], old, 'the second check saw the touched mtime');
  assert.deepEqual(await listFiles(v.root), [`${hash.slice(0, 3)}/${hash}`]);
  assert.equal((await v.stat(hash))?.mtimeNs, seen[1]);
});

test('a refusal on the first check renames nothing; acceptance trashes; lifetime 0 deletes', async () => {
  const v = await makeVolume(base, 'plain');
  const { data, hash } = randomBlock();
  await placeOldBlock(v.root, hash, data, 3600);
  assert.equal(await v.trashIf(hash, () => 'no', 3600, NOW_S), 'no');
  assert.deepEqual(await listFiles(v.root), [`${hash.slice(0, 3)}/${hash}`]);
  assert.equal(await v.trashIf(hash, () => null, 3600, NOW_S), null);
  assert.deepEqual(await listFiles(v.root), [`${hash.slice(0, 3)}/${hash}.trash.${NOW_S + 3600}`]);
  await assert.rejects(
    v.trashIf(hash, () => null, 3600, NOW_S),
    NotFoundError,
  );

  const other = randomBlock();
  await placeOldBlock(v.root, other.hash, other.data, 3600);
  assert.equal(await v.trashIf(other.hash, () => null, 0, NOW_S), null);
  assert.equal(
    (await listFiles(v.root)).some((f) => f.includes(other.hash)),
    false,
    'lifetime 0 leaves nothing',
  );
});
