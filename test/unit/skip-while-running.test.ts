/**
 * skipWhileRunning: the periodic sweeps (trash, abandoned writes / S3 multipart uploads) never
 * overlap themselves when one run is slower than the interval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { skipWhileRunning } from '../../packages/server/src/worker/skip-while-running.ts';

function gate(): { wait: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open: () => open() };
}

test('a call while the task runs is skipped; the next call after it ends runs again', async () => {
  let runs = 0;
  let g = gate();
  const sweep = skipWhileRunning(async () => {
    runs++;
    await g.wait;
  });
  const first = sweep();
  const second = sweep();
  await second; // skipped: resolves at once, while the first is still blocked
  assert.equal(runs, 1);
  g.open();
  await first;
  g = gate();
  const third = sweep();
  assert.equal(runs, 2);
  g.open();
  await third;
});

test('a task that throws releases the guard and the error reaches the caller', async () => {
  let runs = 0;
  const sweep = skipWhileRunning(async () => {
    runs++;
    if (runs === 1) throw new Error('listing failed');
  });
  await assert.rejects(sweep(), /listing failed/);
  await sweep();
  assert.equal(runs, 2);
});
