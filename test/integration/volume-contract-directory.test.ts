/**
 * The driver-neutral Volume contract (test/helpers/volume-contract.ts) run against the
 * directory driver: fresh temp directories, real files, corruption by rewriting a block file.
 */
import fs from 'node:fs/promises';
import { after, before } from 'node:test';
import { DirectoryVolume } from '../../packages/server/src/volume/directory/directory-volume.ts';
import type { Volume } from '../../packages/server/src/volume/volume.ts';
import { runVolumeContract } from '../helpers/volume-contract.ts';
import { makeTempDir, makeVolume, placeBlock } from '../helpers/volume-fixtures.ts';

let base: string;
let n = 0;
before(async () => {
  base = await makeTempDir('keepstore-contract-');
});
after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const directoryOf = (volume: Volume): DirectoryVolume => {
  if (!(volume instanceof DirectoryVolume)) throw new Error('not a directory volume');
  return volume;
};

runVolumeContract('directory', {
  create: () => makeVolume(base, `c${++n}`),
  async readOnlyTwin(volume) {
    const v = directoryOf(volume);
    const twin = new DirectoryVolume({
      uuid: v.uuid,
      root: v.root,
      readOnly: true,
      replication: v.replication,
      storageClasses: v.storageClasses,
      priority: v.priority,
    });
    await twin.init();
    return twin;
  },
  async corrupt(volume, hash, bytes) {
    await placeBlock(directoryOf(volume).root, hash, bytes);
  },
});
