/**
 * Volume assignment (README "Architecture", Workers): volume k in uuid order belongs to worker
 * k mod N when V >= N; with more workers than volumes, workers share volumes round robin.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignVolumes } from '../../packages/server/src/primary/volume-assignment.ts';

const v = (i: number): string => `zzzzz-nyw5e-${String(i).padStart(15, '0')}`;
const vols = (n: number): string[] => Array.from({ length: n }, (_, i) => v(i));

test('V >= N: volume k goes to worker k mod N', () => {
  assert.deepEqual(assignVolumes(vols(4), 2), [
    [v(0), v(2)],
    [v(1), v(3)],
  ]);
  assert.deepEqual(assignVolumes(vols(5), 3), [[v(0), v(3)], [v(1), v(4)], [v(2)]]);
  assert.deepEqual(assignVolumes(vols(3), 3), [[v(0)], [v(1)], [v(2)]]);
  assert.deepEqual(assignVolumes(vols(3), 1), [[v(0), v(1), v(2)]]);
});

test('k is the index in uuid order, whatever order the config lists them in', () => {
  const shuffled = [v(3), v(0), v(2), v(1)];
  assert.deepEqual(assignVolumes(shuffled, 2), [
    [v(0), v(2)],
    [v(1), v(3)],
  ]);
  assert.deepEqual(shuffled, [v(3), v(0), v(2), v(1)], 'the input is not mutated');
});

test('V < N: workers share volumes round robin', () => {
  assert.deepEqual(assignVolumes(vols(2), 3), [[v(0)], [v(1)], [v(0)]]);
  assert.deepEqual(assignVolumes(vols(1), 4), [[v(0)], [v(0)], [v(0)], [v(0)]]);
  assert.deepEqual(assignVolumes(vols(2), 5), [[v(0)], [v(1)], [v(0)], [v(1)], [v(0)]]);
});

test('invariants: one list per worker, every worker owns a volume, every volume is owned', () => {
  for (let volumes = 1; volumes <= 7; volumes++) {
    for (let workers = 1; workers <= 7; workers++) {
      const owned = assignVolumes(vols(volumes), workers);
      assert.equal(owned.length, workers);
      for (const list of owned) assert.ok(list.length >= 1, `${volumes}/${workers}: a worker without a volume`);
      const all = owned.flat();
      assert.deepEqual([...new Set(all)].sort(), vols(volumes), `${volumes}/${workers}: every volume owned`);
      if (volumes >= workers) assert.equal(all.length, volumes, `${volumes}/${workers}: exactly one owner per volume`);
      // Balanced: owner counts differ by at most one.
      const sizes = owned.map((l) => l.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    }
  }
});

test('no volumes: every worker gets an empty list', () => {
  assert.deepEqual(assignVolumes([], 2), [[], []]);
});
