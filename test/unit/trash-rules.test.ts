import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOldEnoughToTrash, TRASH_SKIP, trashRefusal } from '../../packages/server/src/trash/trash-rules.ts';

const NOW_MS = 1_707_249_451_308;
const TTL_MS = 2_000;
const CUTOFF_NS = BigInt(NOW_MS - TTL_MS) * 1_000_000n;

test('isOldEnoughToTrash: strictly older than blobSigningTTL, to the nanosecond', () => {
  assert.equal(isOldEnoughToTrash(CUTOFF_NS - 1n, NOW_MS, TTL_MS), true);
  assert.equal(isOldEnoughToTrash(CUTOFF_NS, NOW_MS, TTL_MS), false, 'exactly TTL old is still protected');
  assert.equal(isOldEnoughToTrash(CUTOFF_NS + 1n, NOW_MS, TTL_MS), false);
});

test('trashRefusal: the mtime must equal block_mtime exactly, beyond 2^53 where Numbers round', () => {
  const mtime = 1_707_249_000_308_502_673n; // Number(mtime) === Number(mtime + 1n)
  assert.equal(Number(mtime), Number(mtime + 1n), 'the case a Number comparison gets wrong');
  assert.equal(trashRefusal(mtime, mtime, NOW_MS, TTL_MS), null);
  assert.equal(trashRefusal(mtime, mtime + 1n, NOW_MS, TTL_MS), TRASH_SKIP.mtimeMismatch);
  assert.equal(trashRefusal(mtime, mtime - 1n, NOW_MS, TTL_MS), TRASH_SKIP.mtimeMismatch);
});

test('trashRefusal: too young is refused even with the exact mtime; DELETE (no expected mtime) checks age only', () => {
  const young = CUTOFF_NS + 5n;
  assert.equal(trashRefusal(young, young, NOW_MS, TTL_MS), TRASH_SKIP.tooYoung);
  assert.equal(trashRefusal(young, null, NOW_MS, TTL_MS), TRASH_SKIP.tooYoung);
  assert.equal(trashRefusal(CUTOFF_NS - 5n, null, NOW_MS, TTL_MS), null);
});
