/**
 * The list store on Redis Sentinel (a master, a replica, three sentinels, all real): the
 * real binary with a pull list in flight; the master is SIGKILLed and failed over; the
 * keepstore notices, reconnects to the new master and re-syncs its list while PUT, GET and
 * pulls go on; then the keepstore is SIGKILLed and restarted, and it resumes from the new
 * master without pulling again the blocks it had finished before the failover.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { clientLoad } from '../helpers/client-load.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { makeBlock, putPullList, pullEntriesFrom } from '../helpers/pull-helpers.ts';
import { killAndResume, persistedDone } from '../helpers/redis-lists.ts';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel.ts';
import { listKeys } from '../../packages/server/src/redis/redis-keys.ts';

let group: SentinelGroup;
let peer: FakePeer;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  [group, peer] = await Promise.all([startSentinelGroup(), startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 2, slowDelayMs: 100 })]);
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await Promise.all([group?.stop(), peer?.close()]);
});

test('Sentinel failover: lists re-synced to the new master, then a SIGKILLed keepstore resumes from it', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-0000000000000e1';
  const keys = listKeys(prefix, uuid, 'pull');
  const blocks = Array.from({ length: 60 }, () => makeBlock(2048));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow'); // ~200 ms each, one at a time
  const redisConfig = { sentinels: group.sentinels, name: group.name, role: 'master', keyPrefix: prefix, heartbeatInterval: '1s' };
  // A fixed publicUrl: the restart (on another port) is the same server, not a uuid clash.
  const opts = {
    workers: 1,
    volumeCount: 1,
    config: { uuid, publicUrl: 'http://keep-s.test:25107', pullConcurrency: 1, redis: redisConfig },
  };
  const first = await startKeepstore(opts);
  cleanups.push(() => first.destroy());
  // What the tests reads goes through the sentinels too, so it follows the failover.
  const redis = new Redis({ sentinels: group.sentinels, name: group.name, maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  cleanups.push(async () => redis.disconnect());

  assert.equal((await putPullList(first, pullEntriesFrom(peer.url, blocks))).status, 200);
  await waitFor(async () => (await persistedDone(redis, keys, blocks.length)).cardinality >= 5, 20_000, 'progress recorded on the master');
  const load = clientLoad(first);
  cleanups.push(() => load.stop());

  const oldMaster = await group.master();
  const before = await persistedDone(redis, keys, blocks.length);
  const killedAt = Date.now();
  await group.kill(oldMaster);
  const newMaster = await group.waitForNewMaster(oldMaster);
  const promotedAt = Date.now();
  const restored = await first.waitForLog((l) => l.message === 'redis connection restored: re-syncing lists', 30_000);
  const restoredAt = Date.parse(String(restored['timestamp']));
  const synced = await first.waitForLog(
    (l) => l.message === 'list persisted to redis' && l['kind'] === 'pull' && Date.parse(String(l['timestamp'])) >= restoredAt,
    30_000,
  );
  const syncedAt = Date.parse(String(synced['timestamp']));
  assert.notEqual(newMaster.port, oldMaster.port);
  const { okAt, failures } = await load.stop();
  assert.deepEqual(failures, [], 'no PUT or GET failed during the failover');
  assert.ok(
    okAt.some((t) => t > killedAt && t < restoredAt),
    'PUT and GET answered while Redis had no master',
  );
  const pulled = first.logs.filter((l) => l.message === 'block pulled' && Date.parse(String(l['timestamp'])) > killedAt);
  assert.ok(pulled.length > 0, 'pulls went on');
  console.log(
    `# sentinel failover: master SIGKILLed -> sentinels named the new master ${promotedAt - killedAt} ms, ` +
      `-> keepstore reconnected ${restoredAt - killedAt} ms, -> lists re-synced ${syncedAt - killedAt} ms`,
  );

  // The new master holds the re-synced list: every entry finished before the failover, and more.
  const after = await persistedDone(redis, keys, blocks.length);
  const finishedBefore = blocks.filter((_, i) => before.has(i));
  assert.ok(finishedBefore.length >= 5);
  for (let i = 0; i < blocks.length; i++)
    if (before.has(i)) assert.ok(after.has(i), `entry ${i} finished before the failover is recorded on the new master`);
  assert.ok(after.cardinality < blocks.length, 'the list is still in flight');

  const restart = async (): Promise<Keepstore> => {
    const second = await startKeepstore({ ...opts, dir: first.dir });
    cleanups.push(() => second.destroy());
    return second;
  };
  await killAndResume(first, restart, redis, keys, blocks);
  for (const b of finishedBefore)
    assert.equal(peer.requests(b.hash), 1, `${b.locator} (finished before the failover) was not pulled again`);
  for (const b of blocks) assert.ok(peer.requests(b.hash) <= 2, 'no block fetched more than twice');
});
