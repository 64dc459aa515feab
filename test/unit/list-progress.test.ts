/**
 * The pure parts of watching a list: the rate window, the bounded recent-failures table, and
 * the `keepstore fleet --watch` screen.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetScreen } from '../../packages/server/src/redis/fleet-screen.ts';
import { formatBytes, formatDuration, progressBar } from '../../packages/server/src/redis/fleet-progress.ts';
import type { HeartbeatRecord } from '../../packages/server/src/redis/heartbeat-record.ts';
import { FailureTable } from '../../packages/server/src/worklist/failure-table.ts';
import { RateWindow } from '../../packages/server/src/worklist/rate-window.ts';

test('the rate window: per second over the time since the reset, then over the window; old seconds fall out', () => {
  const t0 = 1_000_000_000_000;
  const w = new RateWindow(10, t0);
  assert.deepEqual(w.rates(t0), { entriesPerSecond: 0, bytesPerSecond: 0 });
  w.record(4, 4000, t0 + 100);
  assert.deepEqual(w.rates(t0 + 500), { entriesPerSecond: 4, bytesPerSecond: 4000 }, 'at least one second');
  for (let s = 1; s < 10; s++) w.record(1, 1000, t0 + s * 1000);
  assert.deepEqual(w.rates(t0 + 9_500), { entriesPerSecond: 1.37, bytesPerSecond: 1368 }, '13 entries over 9.5 s');
  assert.deepEqual(w.rates(t0 + 10_000), { entriesPerSecond: 0.9, bytesPerSecond: 900 }, 'the first second fell out: 9 over 10 s');
  assert.deepEqual(w.rates(t0 + 30_000), { entriesPerSecond: 0, bytesPerSecond: 0 }, 'idle for a window: nothing');
  w.reset(t0 + 40_000);
  w.record(2, 0, t0 + 41_000);
  assert.equal(w.rates(t0 + 42_000).entriesPerSecond, 1, 'since the reset: 2 entries over 2 s');
});

test('the failures table keeps the last N, one row per block and mount, newest first', () => {
  const table = new FailureTable(3);
  const row = (locator: string, error = 'HTTP 404') => ({ locator, mount: 'm', at: new Date().toISOString(), error, servers: [] });
  for (const l of ['a', 'b', 'c', 'd']) table.add(row(l));
  assert.deepEqual(
    table.view().recent.map((r) => r.locator),
    ['d', 'c', 'b'],
  );
  table.add(row('b', 'again'));
  const view = table.view();
  assert.deepEqual(
    view.recent.map((r) => [r.locator, r.error]),
    [
      ['b', 'again'],
      ['d', 'HTTP 404'],
      ['c', 'HTTP 404'],
    ],
  );
  assert.equal(view.recorded, 5);
  assert.equal(view.capacity, 3);
});

test('the watch screen: a bar per list with finished of total, rates, time left and state', () => {
  assert.equal(progressBar(1, 4, 8), '[##------]');
  assert.equal(progressBar(0, 0, 4), '[----]');
  assert.equal(formatBytes(4718592), '4.5 MiB');
  assert.equal(formatDuration(99), '1m39s');
  const now = Date.parse('2026-12-02T03:00:00Z');
  const progress = { total: 200, done: 90, failed: 10, entriesPerSecond: 5, bytesPerSecond: 1024, etaSeconds: 20 };
  const queue = { queued: 100, inProgress: 0, done: 90, failed: 10, listSize: 200, listAgeSeconds: 20, enabled: true };
  const record = {
    url: 'http://keep1:25107',
    uuid: 'zzzzz-bi6l4-000000000000001',
    updatedAt: new Date(now - 1000).toISOString(),
    workers: { configured: 2, listening: 2, restarts: 0 },
    volumes: [],
    pullQueue: { ...queue, paused: true, progress },
    trashQueue: { ...queue, enabled: false },
  } as unknown as HeartbeatRecord;
  const lines = fleetScreen([record], { now, intervalMs: 2000, columns: 120 });
  assert.match(lines[0]!, /^keepstore fleet: 1 live keepstore, every 2s, 03:00:00 UTC/);
  assert.match(lines[2]!, /^http:\/\/keep1:25107 {2}zzzzz-bi6l4-000000000000001 {2}workers 2\/2 .* seen 1s ago$/);
  assert.match(lines[3]!, /^ {2}pull {2}\[#{10}-{10}\] +50% {2}100\/200 \(10 failed\)\s+5\/s\s+1\.0 KiB\/s {2}eta 20s\s+paused$/);
  assert.match(lines[4]!, /^ {2}trash .*older keepstore/);
});
