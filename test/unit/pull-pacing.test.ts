/**
 * The pure parts of pull pacing (README "Pull pacing"): the token bucket, the primary's peer
 * slots and bandwidth shares, and the live limits' precedence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitsPatchError, LIMIT_DEFAULTS } from '../../packages/server/src/config/limits.ts';
import { BandwidthShares, type WorkerPacing } from '../../packages/server/src/primary/bandwidth-shares.ts';
import { LiveLimits } from '../../packages/server/src/primary/live-limits.ts';
import { PeerSlots } from '../../packages/server/src/primary/peer-slots.ts';
import { TokenBucket } from '../../packages/server/src/pull/token-bucket.ts';

test('the token bucket holds its rate over a window, whatever the chunk sizes; 0 is unlimited', () => {
  const bucket = new TokenBucket();
  assert.equal(bucket.take(10_000_000, 0), 0, 'unlimited by default');
  bucket.setRate(1_000_000, 0); // 1 MB/s
  let now = 0;
  let sent = 0;
  // Two streams taking 64 KiB chunks, each waiting what take() says before its next one.
  const next = [0, 0];
  while (now < 10_000) {
    const s = next[0]! <= next[1]! ? 0 : 1;
    now = next[s]!;
    next[s] = now + bucket.take(65_536, now);
    sent += 65_536;
  }
  const rate = sent / (now / 1000);
  assert.ok(rate > 950_000 && rate < 1_050_000, `${rate} bytes/s`);
  bucket.setRate(0, now);
  assert.equal(bucket.take(1e9, now), 0);
});

test('peer slots: at most the limit per peer across workers, first come first served, a gone worker leaks nothing', () => {
  let limit = 2;
  const granted: string[] = [];
  const slots = new PeerSlots(
    () => limit,
    (workerId, id) => granted.push(`${workerId}:${id}`),
  );
  slots.acquire(1, 1, 'http://a');
  slots.acquire(2, 1, 'http://a');
  slots.acquire(2, 2, 'http://a');
  slots.acquire(1, 2, 'http://b');
  assert.deepEqual(granted, ['1:1', '2:1', '1:2']);
  assert.deepEqual(slots.inUse(), { 'http://a': 2, 'http://b': 1 });
  slots.forgetWorker(1); // SIGKILLed while holding a slot from each peer
  assert.deepEqual(granted, ['1:1', '2:1', '1:2', '2:2'], 'its slot on a went to the waiter');
  assert.deepEqual(slots.inUse(), { 'http://a': 2 });
  slots.acquire(3, 1, 'http://a');
  slots.release(3, 1); // gave up waiting
  limit = 0; // lifted live
  slots.acquire(3, 2, 'http://a');
  assert.ok(granted.includes('3:2') && !granted.includes('3:1'));
  for (const [w, id] of [
    [2, 1],
    [2, 2],
    [3, 2],
  ] as const)
    slots.release(w, id);
  assert.deepEqual(slots.inUse(), {});
});

test('bandwidth shares: the total split among the workers pulling, each told only when its share changes', () => {
  let limits = { ...LIMIT_DEFAULTS, pullBandwidth: 900 };
  const told: Array<[number, WorkerPacing]> = [];
  const shares = new BandwidthShares(
    () => limits,
    (workerId, pacing) => told.push([workerId, pacing]),
  );
  shares.busy(1, true);
  assert.deepEqual(told, [[1, { bandwidth: 900, perPeerConcurrency: 0 }]]);
  shares.busy(2, true);
  shares.busy(3, true);
  assert.equal(shares.shareOf(1) + shares.shareOf(2) + shares.shareOf(3), 900);
  told.length = 0;
  shares.busy(3, false);
  shares.busy(3, true); // one block after another: no message
  assert.deepEqual(
    told.map(([w]) => w),
    [1, 2, 1, 2],
  );
  told.length = 0;
  shares.forgetWorker(3);
  limits = { ...limits, pullBandwidth: 0, pullPerPeerConcurrency: 2 };
  shares.update();
  assert.deepEqual(told.at(-1), [2, { bandwidth: 0, perPeerConcurrency: 2 }]);
  assert.equal(shares.shareOf(3), 0);
});

test('live limits win over the config (also a reloaded one) until cleared with null', () => {
  const limits = new LiveLimits({ ...LIMIT_DEFAULTS, pullBandwidth: 100 });
  const heard: string[] = [];
  limits.onChange((source) => heard.push(source));
  assert.deepEqual(limits.set({ pullBandwidth: 5, trashConcurrency: 9 }), {
    ...LIMIT_DEFAULTS,
    pullBandwidth: 5,
    trashConcurrency: 9,
    live: ['pullBandwidth', 'trashConcurrency'],
  });
  limits.reconfigure({ ...LIMIT_DEFAULTS, pullBandwidth: 200, pullConcurrency: 8 });
  assert.equal(limits.current().pullBandwidth, 5, 'the live value still wins');
  assert.equal(limits.current().pullConcurrency, 8, 'the reload applies where nothing was set live');
  limits.set({ pullBandwidth: null });
  assert.equal(limits.current().pullBandwidth, 200);
  assert.deepEqual(limits.overrides(), { trashConcurrency: 9 });
  limits.set({});
  assert.deepEqual(heard, ['live', 'config', 'live']);
});

test('a bad limits body is refused naming each bad field', () => {
  assert.equal(limitsPatchError({ pullBandwidth: 1048576, trashConcurrency: null }), null);
  assert.match(limitsPatchError({ pullBandwidth: -1 }) ?? '', /^pullBandwidth: /);
  assert.match(
    limitsPatchError({ pullConcurrency: 0, pullPerPeerConcurrency: 1.5 }) ?? '',
    /pullConcurrency: .*; pullPerPeerConcurrency: /,
  );
  assert.match(limitsPatchError({ pullBandwith: 5 }) ?? '', /^pullBandwith: not a limit/);
  assert.match(limitsPatchError([1]) ?? '', /^body: /);
  assert.match(limitsPatchError({ pullBandwidth: '100MiB' }) ?? '', /^pullBandwidth: /);
});
