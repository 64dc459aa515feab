/**
 * A Redis Cluster master failing over to its replica (three masters, three replicas, real
 * processes): the master serving a keepstore's slot is SIGKILLed with a pull list in flight;
 * the keepstore notices the node lost, re-syncs its list onto the promoted replica, and
 * PUT, GET and pulls go on. Prints the timings (master death -> lists re-synced).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Cluster } from 'ioredis';
import { clientLoad } from '../helpers/client-load.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor } from '../helpers/keepstore-process.ts';
import { makeBlock, putPullList, pullEntriesFrom } from '../helpers/pull-helpers.ts';
import { startRedisCluster, type RedisClusterSetup } from '../helpers/redis-cluster.ts';
import { persistedDone } from '../helpers/redis-lists.ts';
import { listKeys } from '../../packages/server/src/redis/redis-keys.ts';

let cluster: RedisClusterSetup;
let peer: FakePeer;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  [cluster, peer] = await Promise.all([
    startRedisCluster({ replicas: 1 }),
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 2, slowDelayMs: 100 }),
  ]);
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await Promise.all([cluster?.stop(), peer?.close()]);
});

test('a Cluster master fails over to its replica: the list is re-synced onto it, the data path never waits', async () => {
  const prefix = `f${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-0000000000000f1';
  const keys = listKeys(prefix, uuid, 'pull');
  const blocks = Array.from({ length: 60 }, () => makeBlock(2048));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow');
  const ks = await startKeepstore({
    workers: 1,
    volumeCount: 1,
    config: { uuid, pullConcurrency: 1, redis: { cluster: cluster.nodes.slice(0, 3), keyPrefix: prefix, heartbeatInterval: '1s' } },
  });
  cleanups.push(() => ks.destroy());
  const redis = new Cluster(cluster.nodes, { maxRedirections: 32 });
  redis.on('error', () => undefined);
  cleanups.push(async () => redis.disconnect());

  assert.equal((await putPullList(ks, pullEntriesFrom(peer.url, blocks))).status, 200);
  await waitFor(async () => (await persistedDone(redis, keys, blocks.length)).cardinality >= 5, 20_000, 'progress in the cluster');
  const slot = await cluster.keySlot(`{${uuid}}`);
  const oldMaster = await cluster.owner(slot);
  const load = clientLoad(ks);
  cleanups.push(() => load.stop());
  const before = await persistedDone(redis, keys, blocks.length);

  const killedAt = Date.now();
  await cluster.kill(oldMaster);
  const promoted = await waitFor(
    async () => {
      const now = await cluster.owner(slot);
      return now.port !== oldMaster.port ? now : undefined;
    },
    30_000,
    'the replica to take over the slot',
  );
  const promotedAt = Date.now();
  const noticed = await ks.waitForLog((l) => l.message === 'redis cluster node lost: re-syncing lists', 30_000);
  const noticedAt = Date.parse(String(noticed['timestamp']));
  const synced = await ks.waitForLog(
    (l) => l.message === 'list persisted to redis' && l['kind'] === 'pull' && Date.parse(String(l['timestamp'])) >= noticedAt,
    30_000,
  );
  const syncedAt = Date.parse(String(synced['timestamp']));
  const { okAt, failures } = await load.stop();
  assert.deepEqual(failures, [], 'no PUT or GET failed during the failover');
  assert.ok(
    okAt.some((t) => t > killedAt && t < promotedAt),
    'PUT and GET answered while the slot had no master',
  );
  console.log(
    `# cluster failover: master SIGKILLed -> replica ${promoted.port} serves the slot ${promotedAt - killedAt} ms, ` +
      `-> keepstore noticed ${noticedAt - killedAt} ms, -> lists re-synced ${syncedAt - killedAt} ms`,
  );
  const after = await persistedDone(redis, keys, blocks.length);
  for (let i = 0; i < blocks.length; i++)
    if (before.has(i)) assert.ok(after.has(i), `entry ${i} finished before the failover is on the promoted replica`);
  assert.ok(after.cardinality > before.cardinality || after.cardinality === blocks.length, 'progress goes on after the failover');
});
