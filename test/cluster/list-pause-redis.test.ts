/**
 * With Redis, the operator's pause survives a restart (README "Operating with Redis"): a pull
 * list sent while paused is resumed from Redis still paused, nothing is fetched until
 * POST /pull/resume, and a resumed list starts running after the next restart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore } from '../helpers/keepstore-process.ts';
import { listProgress, setPaused } from '../helpers/list-control.ts';
import { hasBlock, makeBlock, putPullList, pullEntriesFrom, waitForPullIdle } from '../helpers/pull-helpers.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { pausedKey } from '../../packages/server/src/redis/redis-keys.ts';

let redisServer: RedisServer;
let redis: Redis;
let peer: FakePeer;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  [redisServer, peer] = await Promise.all([startRedisServer(), startFakePeer({ signingKey: SIGNING_KEY })]);
  redis = new Redis(redisServer.url);
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  redis?.disconnect();
  await Promise.all([redisServer?.stop(), peer?.close()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a paused list stays paused across a restart; resumed, it runs after the next one', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-0000000000000p1';
  const opts = {
    workers: 1,
    volumeCount: 1,
    config: { uuid, publicUrl: 'http://keep-p.test:25107', redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' } },
  };
  const blocks = Array.from({ length: 5 }, () => makeBlock(4096));
  for (const b of blocks) peer.serve(b.hash, b.data);

  const first = await startKeepstore(opts);
  cleanups.push(() => first.destroy());
  await setPaused(first, 'pull', 'pause');
  await setPaused(first, 'trash', 'pause');
  assert.equal(await redis.get(pausedKey(prefix, uuid, 'pull')), '1', 'stored before the answer');
  assert.equal((await putPullList(first, pullEntriesFrom(peer.url, blocks))).status, 200);
  assert.equal(await first.stop(), 0);

  const second = await startKeepstore({ ...opts, dir: first.dir });
  cleanups.push(() => second.stop());
  await second.waitForLog((l) => l.message === 'resumed pull list from redis');
  assert.ok(second.logs.some((l) => l.message === 'pull list paused, as stored in redis: POST /pull/resume to resume'));
  await sleep(1_000); // room for a wrong dispatch to show
  const paused = await listProgress(second);
  assert.equal(paused.paused, true);
  assert.equal(paused.progress.total, blocks.length, 'the list came back');
  assert.equal(paused.queued, blocks.length);
  assert.equal((await listProgress(second, 'trash')).paused, true);
  for (const b of blocks) assert.equal(peer.requests(b.hash), 0, 'nothing fetched while paused');

  await setPaused(second, 'pull', 'resume');
  assert.equal(await redis.exists(pausedKey(prefix, uuid, 'pull')), 0);
  await waitForPullIdle(second, blocks.length);
  for (const b of blocks) assert.ok(await hasBlock(second.volumeRoot(0), b.hash), `${b.locator} pulled after resume`);
  assert.equal(await second.stop(), 0);

  const third = await startKeepstore({ ...opts, dir: first.dir });
  cleanups.push(() => third.stop());
  assert.equal((await listProgress(third)).paused, false, 'the resume was stored too');
  assert.equal((await listProgress(third, 'trash')).paused, true, 'each list keeps its own state');
  assert.equal(await third.stop(), 0);
});
