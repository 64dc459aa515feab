/**
 * Pull limits across process deaths (README "Pull pacing"): a SIGKILLed worker's peer slots go
 * back (the pulls behind it still run), and with Redis the limits set live survive a restart
 * of the whole server until cleared.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { after, before, test } from 'node:test';
import { limitsKey } from '../../packages/server/src/redis/redis-keys.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { adminHeaders, SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, makeBlock, putPullList, send, waitForPullIdle } from '../helpers/pull-helpers.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

let peer: FakePeer;
let redisServer: RedisServer;
let redis: Redis;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  [peer, redisServer] = await Promise.all([startFakePeer({ signingKey: SIGNING_KEY }), startRedisServer()]);
  redis = new Redis(redisServer.url);
});
after(async () => {
  peer?.releaseStalled();
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  redis?.disconnect();
  await Promise.all([peer?.close(), redisServer?.stop()]);
});

async function limitsOf(ks: Keepstore): Promise<{ pullBandwidth: number; pullPerPeerConcurrency: number; live: string[] }> {
  const res = await send(`${ks.url}/pull/limits`, 'GET', undefined, adminHeaders);
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text);
}

async function peerSlots(ks: Keepstore): Promise<Record<string, number>> {
  const res = await send(`${ks.url}/status.json`, 'GET', undefined, adminHeaders);
  return (JSON.parse(res.text) as { throttle: { peerSlots: Record<string, number> } }).throttle.peerSlots;
}

test('a worker SIGKILLed while it holds a peer slot does not keep it: the pulls behind it run', async () => {
  const ks = await startKeepstore({ workers: 2, volumeCount: 1, config: { pullPerPeerConcurrency: 1 } });
  cleanups.push(() => ks.destroy());
  const stuck = makeBlock(200_000);
  const next = makeBlock(4096);
  peer.serve(stuck.hash, stuck.data, 'stall'); // half the bytes, then silence: the slot stays held
  peer.serve(next.hash, next.data);
  const res = await putPullList(ks, [
    { locator: stuck.locator, servers: [peer.url] },
    { locator: next.locator, servers: [peer.url] },
  ]);
  assert.equal(res.status, 200);
  const holder = await waitFor(async () => (await getStatus(ks)).workers.find((w) => w.pulling.includes(stuck.locator)));
  await waitFor(async () => (await peerSlots(ks))[peer.url] === 1, 15_000, 'the slot to be taken');
  assert.equal(peer.requests(next.hash), 0, 'the second pull waits for the slot');

  peer.behave(stuck.hash, 'ok'); // its retry, by the replacement, will succeed
  process.kill(holder.pid!, 'SIGKILL');
  const queue = await waitForPullIdle(ks, 2, 30_000);
  assert.equal(queue.done, 2, 'both pulled: the dead worker left no slot behind');
  assert.ok(peer.requests(next.hash) >= 1);
  assert.deepEqual(await peerSlots(ks), {});
});

test('with Redis, limits set live survive a restart and win over the config until cleared', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-00000000000000c';
  const config = {
    uuid,
    publicUrl: 'http://keep-limits.test:25107', // the restart (another port) is the same server
    redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' },
    pullBandwidth: 1_000_000,
  };
  const first = await startKeepstore({ workers: 1, volumeCount: 1, config });
  cleanups.push(() => first.destroy());
  const set = await send(
    `${first.url}/pull/limits`,
    'PUT',
    JSON.stringify({ pullBandwidth: 7_000_000, pullPerPeerConcurrency: 3 }),
    adminHeaders,
  );
  assert.equal(set.status, 200, set.text);
  await waitFor(async () => (await redis.get(limitsKey(prefix, uuid))) !== null, 10_000, 'the live limits in redis');
  assert.equal(await first.stop(), 0);

  const second = await startKeepstore({ workers: 1, volumeCount: 1, config, dir: first.dir });
  cleanups.push(() => second.destroy());
  const restored = await limitsOf(second);
  assert.equal(restored.pullBandwidth, 7_000_000, 'the live value, not the config 1000000');
  assert.equal(restored.pullPerPeerConcurrency, 3);
  assert.deepEqual(restored.live, ['pullBandwidth', 'pullPerPeerConcurrency']);
  assert.ok(second.logs.some((l) => l.message === 'live limits restored from redis'));

  const clear = await send(
    `${second.url}/pull/limits`,
    'PUT',
    JSON.stringify({ pullBandwidth: null, pullPerPeerConcurrency: null }),
    adminHeaders,
  );
  assert.equal(clear.status, 200);
  await waitFor(async () => (await redis.get(limitsKey(prefix, uuid))) === null, 10_000, 'the live limits cleared in redis');
  assert.equal(await second.stop(), 0);
  const third = await startKeepstore({ workers: 1, volumeCount: 1, config, dir: first.dir });
  cleanups.push(() => third.destroy());
  const back = await limitsOf(third);
  assert.equal(back.pullBandwidth, 1_000_000, 'cleared: the config again');
  assert.deepEqual(back.live, []);
});
