/**
 * The worker's yield gate (packages/server/src/worker/yield-gate.ts): closed while clients
 * queue, open again when they drain; what waits at it goes on then, and the closed time counts
 * only while the worker has work.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YieldGate } from '../../packages/server/src/worker/yield-gate.ts';
import { waitFor } from '../helpers/keepstore-process.ts';

test('the gate closes while clients queue and lets waiting work go when they drain', async (t) => {
  let queued = 0;
  const changes: boolean[] = [];
  const gate = new YieldGate({ clientsQueued: () => queued, lagThresholdMs: 10_000, busy: () => true, onChange: (y) => changes.push(y) });
  t.after(() => gate.stop());
  // The gate's timer does not hold the process open (unref): this test's waits need something that does.
  const alive = setInterval(() => undefined, 1_000);
  t.after(() => clearInterval(alive));
  assert.equal(gate.closed, false);
  await gate.whenOpen(); // open: at once
  queued = 3;
  await waitFor(() => gate.closed, 5_000, 'the gate to close');
  let resumed = false;
  const waiting = gate.whenOpen().then(() => (resumed = true));
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(resumed, false, 'work waits while clients queue');
  queued = 0;
  await waiting;
  assert.equal(gate.closed, false);
  assert.deepEqual(changes, [true, false]);
  assert.ok(gate.throttledSeconds > 0, `${gate.throttledSeconds} s throttled`);
  queued = 1;
  await waitFor(() => gate.closed, 5_000, 'the gate to close again');
  let bounded = false;
  await gate.whenOpen(50).then(() => (bounded = true));
  assert.ok(bounded, 'a bounded wait ends by itself');
  await Promise.all(Array.from({ length: 100 }, () => gate.whenOpen(20)));
  assert.equal(gate.closed, true);
  assert.equal(gate.waiting, 0, 'bounded waits that ended are not kept while the gate stays closed');
  const held = gate.whenOpen(60_000);
  assert.equal(gate.waiting, 1);
  queued = 0;
  await held; // opening ends it (and its timer) long before its bound
  assert.equal(gate.waiting, 0);
  queued = 1;
  await waitFor(() => gate.closed, 5_000, 'the gate to close once more');
  gate.stop();
  await gate.whenOpen(); // stopped: never holds anything again
});
