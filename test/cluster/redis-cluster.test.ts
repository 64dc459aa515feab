/**
 * The list store on a Redis Cluster of three masters (real processes): three keepstores share
 * it, each server's keys land in one slot of its own (the uuid hash tag), `keepstore fleet`
 * lists all three from one seed node, and a resharding of the slot holding a server's keys,
 * while its pull list is in flight, loses nothing: SIGKILLed and restarted, it resumes its list
 * from the slot's new master without pulling finished blocks again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Cluster } from 'ioredis';
import { fleet } from '../helpers/fleet-command.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { makeBlock, putPullList, type Block, pullEntriesFrom } from '../helpers/pull-helpers.ts';
import { startRedisCluster, type RedisClusterSetup } from '../helpers/redis-cluster.ts';
import { killAndResume, persistedDone } from '../helpers/redis-lists.ts';
import { heartbeatKey, listKeys } from '../../packages/server/src/redis/redis-keys.ts';

let cluster: RedisClusterSetup;
let peer: FakePeer;
let redis: Cluster;
const servers: Keepstore[] = [];
const lists: Block[][] = [];
const cleanups: Array<() => Promise<unknown>> = [];
const prefix = `c${randomBytes(4).toString('hex')}:`;
const uuids = [1, 2, 3].map((i) => `zzzzz-bi6l4-0000000000000${i}c`);

// A fixed publicUrl: a restart on another port is the same server (same url and host).
const publicUrls = [1, 2, 3].map((i) => `http://keep${i}.cluster.test:25107`);
const serverOpts = (i: number) => ({
  workers: 1,
  volumeCount: 1,
  config: {
    uuid: uuids[i],
    publicUrl: publicUrls[i],
    pullConcurrency: 1,
    redis: { cluster: [cluster.nodes[i]!], keyPrefix: prefix, heartbeatInterval: '1s' },
  },
});

before(async () => {
  [cluster, peer] = await Promise.all([startRedisCluster(), startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 2, slowDelayMs: 100 })]);
  redis = new Cluster(cluster.nodes, { maxRedirections: 32 });
  redis.on('error', () => undefined);
  for (let i = 0; i < 3; i++) {
    const ks = await startKeepstore(serverOpts(i)); // each knows only one seed node: it finds the rest
    servers.push(ks);
    cleanups.push(() => ks.destroy());
  }
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  redis?.disconnect();
  await Promise.all([cluster?.stop(), peer?.close()]);
});

test('three keepstores: each one keeps every key in one slot of its own, and fleet lists all three', async () => {
  for (let i = 0; i < 3; i++) {
    const blocks = Array.from({ length: 30 }, () => makeBlock(2048));
    for (const b of blocks) peer.serve(b.hash, b.data, 'slow'); // ~200 ms each, one at a time
    lists.push(blocks);
    assert.equal((await putPullList(servers[i]!, pullEntriesFrom(peer.url, blocks))).status, 200);
  }
  const slots = await Promise.all(uuids.map((u) => cluster.keySlot(`{${u}}`)));
  assert.equal(new Set(slots).size, 3, 'three servers, three slots');
  for (let i = 0; i < 3; i++) {
    const keys = listKeys(prefix, uuids[i]!, 'pull');
    await waitFor(
      async () => (await persistedDone(redis, keys, lists[i]!.length)).cardinality > 0,
      20_000,
      `server ${i} progress in the cluster`,
    );
    // Every key of this server, on whichever master: one slot, the one of its uuid.
    const found: string[] = [];
    for (const node of cluster.nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await cluster.client(node).scan(cursor, 'MATCH', `${prefix}*{${uuids[i]}}*`, 'COUNT', 1000);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
    }
    assert.ok(found.includes(heartbeatKey(prefix, uuids[i]!)) && found.includes(keys.current), `server ${i} keys: ${found.join(' ')}`);
    for (const key of found) assert.equal(await cluster.keySlot(key), slots[i], `${key} in the server's slot`);
  }

  const seed = `redis://${cluster.nodes[0]!.host}:${cluster.nodes[0]!.port}`;
  const result = await waitFor(
    async () => {
      const r = await fleet('--redis', seed, '--cluster', '--key-prefix', prefix, '--json');
      return r.code === 0 && (JSON.parse(r.out) as unknown[]).length === 3 ? r : undefined;
    },
    10_000,
    'three servers in the fleet',
  );
  const records = JSON.parse(result.out) as Array<{ url: string; uuid: string }>;
  assert.deepEqual(records.map((r) => r.uuid).sort(), [...uuids].sort());
  assert.deepEqual(records.map((r) => r.url).sort(), publicUrls);
  // The same through a keepstore config file (the cluster form, its keyPrefix).
  const viaConfig = await fleet('--config', servers[1]!.configPath);
  assert.equal(viaConfig.code, 0, viaConfig.err);
  assert.equal(viaConfig.out.trimEnd().split('\n').at(-1), '3 live keepstores');
});

test('resharding the slot of a server with a list in flight loses nothing; SIGKILL and restart resume it', async () => {
  const i = 0;
  const ks = servers[i]!;
  const keys = listKeys(prefix, uuids[i]!, 'pull');
  const blocks = Array.from({ length: 60 }, () => makeBlock(2048));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow');
  assert.equal((await putPullList(ks, pullEntriesFrom(peer.url, blocks))).status, 200);
  await waitFor(async () => (await persistedDone(redis, keys, blocks.length)).cardinality >= 3, 20_000, 'progress of the new list');
  const slot = await cluster.keySlot(`{${uuids[i]}}`);
  const from = await cluster.owner(slot);
  const to = cluster.nodes.find((n) => n.port !== from.port)!;
  const before = await persistedDone(redis, keys, blocks.length);
  assert.ok(before.cardinality < blocks.length, 'the list is in flight');
  await cluster.moveSlot(slot, to);
  assert.equal((await cluster.owner(slot)).port, to.port);
  // Progress goes on into the moved slot (the keepstore follows the MOVED redirections).
  await waitFor(
    async () => (await persistedDone(redis, keys, blocks.length)).cardinality > before.cardinality,
    20_000,
    'progress after the move',
  );
  assert.equal(await cluster.client(from).call('CLUSTER', 'COUNTKEYSINSLOT', slot), 0, 'nothing left on the old master');

  const restart = async (): Promise<Keepstore> => {
    const again = await startKeepstore({ ...serverOpts(i), dir: ks.dir });
    cleanups.push(() => again.destroy());
    return again;
  };
  const { again, done } = await killAndResume(ks, restart, redis, keys, blocks);
  for (let n = 0; n < blocks.length; n++)
    if (done.has(n)) assert.equal(peer.requests(blocks[n]!.hash), 1, `entry ${n} finished before the kill was not pulled again`);
  assert.deepEqual(
    again.logs.filter((l) => l.level === 'error'),
    [],
  );
});
