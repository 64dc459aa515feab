/**
 * The primary's pull routing (worklist/pull-kind.ts routePull): placeBlock over the configured
 * volumes and the cached free space, with the skip reasons the README names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeepstoreConfig } from '../../packages/server/src/config/config.ts';
import { FREE_SPACE_MARGIN } from '../../packages/server/src/volume/placement.ts';
import { routePull } from '../../packages/server/src/worklist/pull-kind.ts';
import type { VolumeSpace } from '../../packages/server/src/worklist/volume-space.ts';

const HASH = 'acbd18db4cc2f85cedef654fccc4a4d8';
const uuid = (n: number) => `zzzzz-nyw5e-00000000000000${n}`;
// Rendezvous order for HASH at equal priority: 1, 2, 0, 3 (see protocol-rendezvous.test.ts).
const config = {
  volumes: [0, 1, 2, 3].map((n) => ({ uuid: uuid(n), priority: 1, readOnly: n === 2 })),
} as unknown as KeepstoreConfig;
const spaceOf = (free: Record<string, number | null>) => ({ freeBytes: (u: string) => free[u] }) as unknown as VolumeSpace;
const SIZE = 1000;

test('unpinned: the first writable volume in rendezvous order with size + 1 MiB free', () => {
  const space = spaceOf({ [uuid(1)]: SIZE + FREE_SPACE_MARGIN - 1, [uuid(0)]: SIZE + FREE_SPACE_MARGIN });
  // 1 lacks the margin, 2 is read-only: 0.
  assert.deepEqual(routePull([`${HASH}+${SIZE}`, 0, null], config, space), { volumes: [uuid(0)] });
  assert.deepEqual(routePull([`${HASH}+${SIZE}`, 0, null], config, spaceOf({ [uuid(1)]: null })), { volumes: [uuid(1)] });
  const full = spaceOf({ [uuid(0)]: 0, [uuid(1)]: 0, [uuid(3)]: 0 });
  assert.deepEqual(routePull([`${HASH}+${SIZE}`, 0, null], config, full), { skip: 'no writable volume with room for pulled block' });
});

test('pinned: unknown and read-only mounts are skipped; a full one is still routed (the write reports it)', () => {
  const space = spaceOf({ [uuid(3)]: 0 });
  assert.deepEqual(routePull([`${HASH}+${SIZE}`, 0, uuid(7)], config, space), { skip: 'ignoring pull list entry for nonexistent mount' });
  assert.deepEqual(routePull([`${HASH}+${SIZE}`, 0, uuid(2)], config, space), { skip: 'ignoring pull list entry for readonly mount' });
  assert.deepEqual(routePull([`${HASH}+${SIZE}`, 0, uuid(3)], config, space), { volumes: [uuid(3)] });
});
