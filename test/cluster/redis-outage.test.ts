/**
 * Redis is never on the data path: the real binary keeps serving PUT, GET and pulls while its
 * redis-server is killed, logs the outage once, and re-syncs its lists when Redis is back on
 * the same port (empty, as after a crash without persistence). It also starts with Redis down.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { clientLoad as startClientLoad, type LoadResult } from '../helpers/client-load.ts';
import { hasBlock, makeBlock, putPullList, send, waitForPullIdle, type Block, pullEntriesFrom } from '../helpers/pull-helpers.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import { heartbeatKey, listKeys } from '../../packages/server/src/redis/redis-keys.ts';

let peer: FakePeer;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  peer = await startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 2, slowDelayMs: 60 });
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await peer?.close();
});

function clientLoad(ks: Keepstore): { stop(): Promise<LoadResult> } {
  const load = startClientLoad(ks);
  cleanups.push(() => load.stop()); // a failed assertion must not leave the loops running
  return load;
}

function serveSlow(count: number): Block[] {
  const blocks = Array.from({ length: count }, () => makeBlock(4096));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow'); // ~120 ms each
  return blocks;
}

const entries = (blocks: Block[]) => pullEntriesFrom(peer.url, blocks);
const redisWarnings = (ks: Keepstore) => ks.logs.filter((l) => (l.level === 'warn' || l.level === 'error') && /redis/i.test(l.message));

test('Redis killed mid-run: no request or pull fails, the outage is logged once, lists are re-synced', async () => {
  const redisServer = await startRedisServer();
  cleanups.push(() => redisServer.stop());
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-00000000000000c';
  const keys = listKeys(prefix, uuid, 'pull');
  const ks = await startKeepstore({
    workers: 2,
    volumeCount: 2,
    config: { uuid, pullConcurrency: 2, redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' } },
  });
  cleanups.push(() => ks.destroy());
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  cleanups.push(async () => redis.disconnect());

  const firstList = serveSlow(30);
  assert.equal((await putPullList(ks, entries(firstList))).status, 200);
  await waitFor(async () => (await redis.get(keys.current)) !== null, 10_000, 'the list persisted');
  const load = clientLoad(ks);
  await waitFor(
    async () =>
      (await send(`${ks.url}/status.json`, 'GET', undefined, { Authorization: 'Bearer test-root-token' })).text.includes('"done":'),
    5_000,
  );

  const outageStart = Date.now();
  await redisServer.kill();
  await ks.waitForLog((l) => l.message.startsWith('redis connection lost'), 10_000);
  // During the outage: traffic goes on, and a new list replaces the first one (memory only).
  const secondList = [...firstList.slice(20), ...serveSlow(10)];
  assert.equal((await putPullList(ks, entries(secondList))).status, 200);
  await new Promise((r) => setTimeout(r, 1_500)); // several reconnect attempts and heartbeats fail

  await redisServer.restart(); // empty: nothing was saved
  const outageEnd = Date.now();
  await ks.waitForLog((l) => l.message.startsWith('redis connection restored'), 15_000);
  await waitForPullIdle(ks, undefined, 30_000);
  const { okAt, failures } = await load.stop();
  for (const b of secondList) {
    assert.ok((await hasBlock(ks.volumeRoot(0), b.hash)) || (await hasBlock(ks.volumeRoot(1), b.hash)), `${b.locator} pulled`);
  }

  assert.deepEqual(failures, [], 'no client request failed');
  const during = (t: number): boolean => t > outageStart && t < outageEnd;
  assert.ok(okAt.filter(during).length > 5, `${okAt.filter(during).length} PUT+GET pairs during the outage`);
  const pulledDuring = ks.logs.filter((l) => l.message === 'block pulled' && during(Date.parse(String(l['timestamp']))));
  assert.ok(pulledDuring.length > 3, `${pulledDuring.length} blocks pulled during the outage`);
  const status = JSON.parse((await send(`${ks.url}/status.json`, 'GET', undefined, { Authorization: 'Bearer test-root-token' })).text);
  assert.equal(status.pullQueue.failed, 0, 'no pull failed');

  // Re-synced: the second list is current in the fresh Redis, every entry recorded as finished.
  await waitFor(
    async () => {
      const gen = await redis.get(keys.current);
      if (!gen) return false;
      const count = await redis.hget(keys.generation(gen).meta, 'count');
      return count === String(secondList.length) && (await redis.bitcount(keys.generation(gen).done)) === secondList.length;
    },
    10_000,
    'the second list and its progress re-synced',
  );
  await waitFor(async () => (await redis.exists(heartbeatKey(prefix, uuid))) === 1, 5_000, 'the heartbeat back');

  const warnings = redisWarnings(ks);
  assert.equal(warnings.length, 1, `one outage, one warning: ${JSON.stringify(warnings)}`);
  assert.deepEqual(
    ks.logs.filter((l) => l.level === 'error'),
    [],
  );
});

test('Redis down at start: the server starts at once, serves from memory, and syncs when Redis appears', async () => {
  const redisServer = await startRedisServer();
  cleanups.push(() => redisServer.stop());
  await redisServer.kill(); // the port is known, nothing listens
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-00000000000000d';
  const keys = listKeys(prefix, uuid, 'pull');
  const started = Date.now();
  const ks = await startKeepstore({
    workers: 1,
    volumeCount: 1,
    config: { uuid, redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' } },
  });
  cleanups.push(() => ks.destroy());
  assert.ok(Date.now() - started < 15_000, 'start did not hang on Redis');
  await ks.waitForLog((l) => l.message.startsWith('lists not resumed from redis yet'));

  const blocks = serveSlow(5);
  assert.equal((await putPullList(ks, entries(blocks))).status, 200);
  const load = clientLoad(ks);
  await waitForPullIdle(ks, blocks.length, 20_000);
  const { okAt, failures } = await load.stop();
  assert.deepEqual(failures, []);
  assert.ok(okAt.length > 0);

  await redisServer.restart();
  await ks.waitForLog((l) => l.message.startsWith('redis connection restored'), 15_000);
  const redis = new Redis(redisServer.url);
  cleanups.push(async () => redis.disconnect());
  await waitFor(
    async () => {
      const gen = await redis.get(keys.current);
      return gen !== null && (await redis.bitcount(keys.generation(gen).done)) === blocks.length;
    },
    10_000,
    'the list accepted during the outage persisted with its progress',
  );
  const warnings = redisWarnings(ks);
  assert.equal(warnings.length, 1, `one outage, one warning, not one per retry: ${JSON.stringify(warnings)}`);
  assert.match(warnings[0]!.message, /^redis unavailable: working from memory/);
});
