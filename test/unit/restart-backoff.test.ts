/**
 * RestartBackoff: exponential delay with jitter in the upper half, capped, forgotten after a
 * quiet period. The clock and the random source are injected, so no timers are involved.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartBackoff } from '../../packages/server/src/primary/restart-backoff.ts';

const fixed = (r: number) => () => r;

test('doubles on each consecutive death, starting at the base', () => {
  const b = new RestartBackoff(100, 10_000, 60_000, fixed(0.999999));
  const delays = [1, 2, 3, 4, 5].map((i) => b.nextDelay(1_000 + i));
  assert.deepEqual(delays, [100, 200, 400, 800, 1600]);
  assert.equal(b.consecutiveFailures, 5);
});

test('jitter stays within [exp/2, exp]', () => {
  const low = new RestartBackoff(100, 10_000, 60_000, fixed(0));
  assert.deepEqual(
    [1, 2, 3].map((t) => low.nextDelay(t)),
    [50, 100, 200],
  );
  for (let trial = 0; trial < 200; trial++) {
    const b = new RestartBackoff(100, 10_000, 60_000);
    for (let i = 0; i < 8; i++) {
      const exp = Math.min(10_000, 100 * 2 ** i);
      const d = b.nextDelay(10 + i);
      assert.ok(d >= exp / 2 && d <= exp, `delay ${d} outside [${exp / 2}, ${exp}]`);
    }
  }
});

test('capped at the maximum', () => {
  const b = new RestartBackoff(100, 1_000, 60_000, fixed(0.999999));
  const delays = Array.from({ length: 10 }, (_, i) => b.nextDelay(i));
  assert.equal(Math.max(...delays), 1_000);
  assert.deepEqual(delays.slice(-3), [1_000, 1_000, 1_000]);
});

test('a quiet period resets the count; deaths within it keep growing', () => {
  const b = new RestartBackoff(100, 10_000, 60_000, fixed(0.999999));
  assert.equal(b.nextDelay(0), 100);
  assert.equal(b.nextDelay(59_000), 200); // within the quiet period of the last death
  assert.equal(b.nextDelay(118_000), 400); // 59 s after the previous one: still within
  assert.equal(b.nextDelay(178_001), 100); // more than 60 s of quiet: forgotten
  assert.equal(b.consecutiveFailures, 1);
});

test('defaults: 100 ms base, 10 s cap', () => {
  const b = new RestartBackoff();
  const first = b.nextDelay(Date.now());
  assert.ok(first >= 50 && first <= 100, String(first));
  for (let i = 0; i < 20; i++) b.nextDelay(Date.now());
  const late = b.nextDelay(Date.now());
  assert.ok(late >= 5_000 && late <= 10_000, String(late));
});
