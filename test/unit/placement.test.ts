import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rendezvousOrder } from '../../packages/protocol/src/index.ts';
import {
  FREE_SPACE_MARGIN,
  UNKNOWN_FREE_SPACE,
  placeBlock,
  type FreeSpaceView,
  type PlacementVolume,
} from '../../packages/server/src/volume/placement.ts';

const HASH = 'acbd18db4cc2f85cedef654fccc4a4d8';
const uuid = (n: number) => `zzzzz-nyw5e-00000000000000${n}`;
// With equal priorities, rendezvous order for HASH is 1, 2, 0, 3 (see protocol-rendezvous.test.ts).
const vol = (n: number, opts: Partial<PlacementVolume> = {}): PlacementVolume => ({ uuid: uuid(n), priority: 1, readOnly: false, ...opts });
const four = [0, 1, 2, 3].map((n) => vol(n));
const freeOf =
  (byVolume: Record<number, number | null>): FreeSpaceView =>
  (u) =>
    byVolume[Number(u.slice(-1))];
const plenty = freeOf({ 0: 1e12, 1: 1e12, 2: 1e12, 3: 1e12 });

function targetsOf(placed: ReturnType<typeof placeBlock>): string[] {
  assert.ok('targets' in placed, `expected targets, got ${JSON.stringify(placed)}`);
  return placed.targets.map((v) => v.uuid);
}

describe('placeBlock', () => {
  it('orders writable volumes by rendezvous order', () => {
    const placed = placeBlock({ volumes: four, free: plenty, hash: HASH, size: 10, mount: null });
    assert.deepEqual(targetsOf(placed), [1, 2, 0, 3].map(uuid));
    assert.deepEqual(
      targetsOf(placed),
      rendezvousOrder(HASH, four).map((v) => v.uuid),
    );
  });

  it('skips read-only volumes', () => {
    const volumes = [vol(0), vol(1, { readOnly: true }), vol(2), vol(3)];
    assert.deepEqual(targetsOf(placeBlock({ volumes, free: plenty, hash: HASH, size: 10, mount: null })), [2, 0, 3].map(uuid));
  });

  it('a pinned mount is the only target, ahead of rendezvous order', () => {
    assert.deepEqual(targetsOf(placeBlock({ volumes: four, free: plenty, hash: HASH, size: 10, mount: uuid(3) })), [uuid(3)]);
  });

  it('refuses an unknown pinned mount, a read-only one and a full one', () => {
    const volumes = [vol(0), vol(1, { readOnly: true })];
    const free = freeOf({ 0: 5, 1: 1e12 });
    assert.deepEqual(placeBlock({ volumes, free, hash: HASH, size: 10, mount: uuid(7) }), { refused: 'unknown-mount' });
    assert.deepEqual(placeBlock({ volumes, free, hash: HASH, size: 10, mount: uuid(1) }), { refused: 'read-only' });
    assert.deepEqual(placeBlock({ volumes, free, hash: HASH, size: 10, mount: uuid(0) }), { refused: 'full' });
  });

  it('skips full volumes, keeping the order of the others', () => {
    const free = freeOf({ 0: 1e12, 1: 100, 2: 1e12, 3: 0 });
    assert.deepEqual(targetsOf(placeBlock({ volumes: four, free, hash: HASH, size: 10, mount: null })), [2, 0].map(uuid));
  });

  it('refuses as full when no writable volume has room', () => {
    const volumes = [vol(0), vol(1, { readOnly: true })];
    assert.deepEqual(placeBlock({ volumes, free: freeOf({ 0: 0, 1: 1e12 }), hash: HASH, size: 10, mount: null }), { refused: 'full' });
    assert.deepEqual(placeBlock({ volumes: [], free: plenty, hash: HASH, size: 10, mount: null }), { refused: 'full' });
  });

  it('keeps volumes whose free space is unknown (null: S3; undefined: not read yet)', () => {
    const free = freeOf({ 0: 0, 1: null, 2: 0 }); // 3: undefined
    assert.deepEqual(targetsOf(placeBlock({ volumes: four, free, hash: HASH, size: 10, mount: null })), [1, 3].map(uuid));
    assert.deepEqual(targetsOf(placeBlock({ volumes: four, free: UNKNOWN_FREE_SPACE, hash: HASH, size: 1e15, mount: uuid(2) })), [uuid(2)]);
  });

  it('a known size needs size + 1 MiB; an unknown size needs the margin only', () => {
    const size = 4096;
    const at = (bytes: number, s: number | null) => placeBlock({ volumes: [vol(0)], free: () => bytes, hash: HASH, size: s, mount: null });
    assert.deepEqual(targetsOf(at(size + FREE_SPACE_MARGIN, size)), [uuid(0)]);
    assert.deepEqual(at(size + FREE_SPACE_MARGIN - 1, size), { refused: 'full' });
    assert.deepEqual(targetsOf(at(FREE_SPACE_MARGIN, null)), [uuid(0)]);
    assert.deepEqual(at(FREE_SPACE_MARGIN - 1, null), { refused: 'full' });
    assert.equal(FREE_SPACE_MARGIN, 1024 * 1024);
  });
});
