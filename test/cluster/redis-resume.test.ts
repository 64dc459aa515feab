/**
 * The real binary with a private redis-server: a pull list survives SIGKILL of the primary
 * (its workers exit too) and is resumed without redoing finished entries; a million-entry
 * list found in Redis is resumed at start.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { adminHeaders, SIGNING_KEY, startKeepstore, waitFor } from '../helpers/keepstore-process.ts';
import { getStatus, hasBlock, makeBlock, putPullList, send, waitForPullIdle, pullEntriesFrom } from '../helpers/pull-helpers.ts';
import { persistedDone } from '../helpers/redis-lists.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { Bitset } from '../../packages/server/src/redis/bitset.ts';
import { CHUNK_ENCODING, packChunk, unpackChunk, type ListItem } from '../../packages/server/src/redis/list-codec.ts';
import { ListWriter } from '../../packages/server/src/redis/list-writer.ts';
import { heartbeatKey, listKeys } from '../../packages/server/src/redis/redis-keys.ts';

let redisServer: RedisServer;
let redis: Redis;
let peer: FakePeer;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  [redisServer, peer] = await Promise.all([
    startRedisServer(),
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 2, slowDelayMs: 100 }),
  ]);
  redis = new Redis(redisServer.url);
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  redis?.disconnect();
  await Promise.all([redisServer?.stop(), peer?.close()]);
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function redisConfig(prefix: string, uuid: string): Record<string, unknown> {
  return { uuid, redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' } };
}

test('a pull list survives SIGKILL of the primary and resumes without redoing finished entries', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-00000000000000a';
  const keys = listKeys(prefix, uuid, 'pull');
  const blocks = Array.from({ length: 24 }, () => makeBlock(2048));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow'); // ~200 ms each
  // A fixed publicUrl: the restart (on another port) is the same server, not a uuid clash.
  const opts = {
    workers: 1,
    volumeCount: 1,
    config: { ...redisConfig(prefix, uuid), publicUrl: 'http://keep-a.test:25107', pullConcurrency: 2 },
  };
  const first = await startKeepstore(opts);
  cleanups.push(() => first.destroy());

  const res = await putPullList(first, pullEntriesFrom(peer.url, blocks));
  assert.equal(res.status, 200);
  const doneBits = (): Promise<Bitset> => persistedDone(redis, keys, blocks.length);
  await waitFor(async () => (await doneBits()).cardinality >= 6, 20_000, 'progress recorded in redis');

  const workerPids = (await getStatus(first)).workers.map((w) => w.pid!).filter(Boolean);
  assert.ok(workerPids.length > 0);
  first.proc.kill('SIGKILL');
  await first.stop();
  // Workers notice the IPC channel close, finish what they hold and exit: no orphans.
  await waitFor(() => workerPids.every((pid) => !isAlive(pid)), 15_000, 'orphaned workers to exit');

  const done = await doneBits();
  const finished = blocks.filter((_, i) => done.has(i));
  assert.ok(finished.length >= 6 && finished.length < blocks.length, `${finished.length} finished before the kill`);
  for (const b of finished) assert.equal(peer.requests(b.hash), 1);

  const second = await startKeepstore({ ...opts, dir: first.dir });
  cleanups.push(() => second.stop());
  const resumed = await second.waitForLog((l) => l.message === 'resumed pull list from redis');
  assert.equal(resumed['entries'], blocks.length);
  assert.equal(resumed['alreadyFinished'], finished.length);
  assert.equal(resumed['resumed'], blocks.length - finished.length);
  const status = await getStatus(second);
  assert.equal(status.pullQueue.listSize, blocks.length - finished.length, 'only the unfinished entries were installed');

  console.log(
    `# SIGKILL: ${finished.length} of ${blocks.length} entries recorded as finished before the kill; ${String(resumed['resumed'])} resumed in ${String(resumed['durationMs'])} ms`,
  );
  await waitForPullIdle(second, blocks.length - finished.length, 30_000);
  for (const b of blocks) assert.ok(await hasBlock(second.volumeRoot(0), b.hash), `${b.locator} stored`);
  for (const b of finished) assert.equal(peer.requests(b.hash), 1, `${b.locator} (finished before the kill) was not pulled again`);
  // Entries in flight at the kill may have been finished by the orphaned worker: the resumed
  // pull finds them stored and touches them, so no block is ever fetched more than twice.
  for (const b of blocks) assert.ok(peer.requests(b.hash) <= 2);
  // Progress of the resumed list goes on in the same generation, by the original ordinals.
  await waitFor(async () => (await doneBits()).cardinality === blocks.length, 10_000, 'every entry recorded as finished');
  assert.equal(await second.stop(), 0);
  assert.equal(await redis.exists(heartbeatKey(prefix, uuid)), 0, 'a clean stop removes the heartbeat');
});

test('a 1 000 000-entry trash list in Redis is resumed at start, and a new list replaces it', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-00000000000000b';
  const keys = listKeys(prefix, uuid, 'trash');
  const n = 1_000_000;
  const items: ListItem[] = new Array(n);
  const salt = randomBytes(4).toString('hex');
  for (let i = 0; i < n; i++)
    items[i] = [`${salt}${i.toString(16).padStart(24, '0')}+${i % 65_536}`, `17072494513${String(i).padStart(8, '0')}`, null];
  const writer = new ListWriter(redis, keys);
  const gen = await writer.allocate();
  let t = performance.now();
  await writer.write(gen, { kind: 'trash', items, serverLists: [], acceptedAt: Date.now() }, () => false);
  const done = new Bitset(n);
  for (let i = 0; i < n; i += 4) done.set(i);
  await writer.writeDone(gen, done.snapshot());
  await writer.makeCurrent(gen);
  const seedMs = performance.now() - t;
  items.length = 0;

  t = performance.now();
  // blobTrash off: the list is kept but not run, so the test measures resume alone.
  const ks = await startKeepstore({ workers: 1, volumeCount: 1, config: { ...redisConfig(prefix, uuid), blobTrash: false } });
  cleanups.push(() => ks.destroy());
  const startMs = performance.now() - t;
  const resumed = await ks.waitForLog((l) => l.message === 'resumed trash list from redis');
  assert.equal(resumed['resumed'], n - n / 4);
  const status = JSON.parse((await send(`${ks.url}/status.json`, 'GET', undefined, adminHeaders)).text) as {
    trashQueue: { listSize: number };
  };
  assert.equal(status.trashQueue.listSize, n - n / 4);
  console.log(
    `# 1M-entry trash list: written to redis in ${seedMs.toFixed(0)} ms; keepstore start with resume ${startMs.toFixed(0)} ms (resume itself ${String(resumed['durationMs'])} ms)`,
  );

  const small = [{ locator: 'acbd18db4cc2f85cedef654fccc4a4d8+3', block_mtime: 1707249451308502672n.toString(), mount_uuid: '' }];
  const body = JSON.stringify(small).replace(/"block_mtime":"(\d+)"/, '"block_mtime":$1');
  assert.equal((await send(`${ks.url}/trash`, 'PUT', body, adminHeaders)).status, 200);
  await waitFor(async () => (await redis.get(keys.current)) !== gen, 10_000, 'the new list to become current');
  await waitFor(
    async () => (await redis.exists(keys.generation(gen).entries, keys.generation(gen).done)) === 0,
    10_000,
    'the old generation to be deleted',
  );
  const current = (await redis.get(keys.current))!;
  assert.equal(await redis.hget(keys.generation(current).meta, 'count'), '1');
});

test('corrupt entries in a persisted pull list are skipped on resume with one line each; the rest is pulled', async () => {
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-00000000000000d';
  const keys = listKeys(prefix, uuid, 'pull');
  const blocks = Array.from({ length: 6 }, () => makeBlock(512));
  for (const b of blocks) peer.serve(b.hash, b.data);
  // The list as a keepstore persists it, then garbage written over three of its nine entries.
  const items: ListItem[] = [...blocks.map((b): ListItem => [b.locator, 0, null]), ['x', 0, null], ['x', 0, null], ['x', 0, null]];
  const writer = new ListWriter(redis, keys);
  const gen = await writer.allocate();
  await writer.write(gen, { kind: 'pull', items, serverLists: [[peer.url]], acceptedAt: Date.now() }, () => false);
  await writer.makeCurrent(gen);
  const stored = (await redis.lindexBuffer(keys.generation(gen).entries, 0))!;
  const chunk = (await unpackChunk(stored, CHUNK_ENCODING)).split('\n');
  chunk[6] = 'not-a-locator\t0\t';
  chunk[7] = `${blocks[0]!.hash}+512\t99\t`; // a server list that does not exist
  chunk[8] = 'no fields at all';
  await redis.lset(keys.generation(gen).entries, 0, await packChunk(chunk.join('\n')));

  const opts = { workers: 1, volumeCount: 1, config: redisConfig(prefix, uuid) };
  const ks = await startKeepstore(opts);
  cleanups.push(() => ks.destroy());
  const resumed = await ks.waitForLog((l) => l.message === 'resumed pull list from redis');
  assert.equal(resumed['resumed'], blocks.length);
  assert.equal(resumed['skippedCorrupt'], 3);
  const skips = ks.logs.filter((l) => l.message === 'skipped a corrupt pull list entry resumed from redis');
  assert.deepEqual(
    skips.map((l) => [l.level, l['ordinal']]),
    [
      ['warn', 6],
      ['warn', 7],
      ['warn', 8],
    ],
  );
  assert.match(String(skips[0]!['reason']), /invalid locator "not-a-locator"/);
  assert.match(String(skips[1]!['reason']), /servers must be a non-empty array/);
  assert.match(String(skips[2]!['reason']), /invalid locator "no fields at all"/);
  await waitForPullIdle(ks, blocks.length, 20_000);
  for (const b of blocks) assert.ok(await hasBlock(ks.volumeRoot(0), b.hash), `${b.locator} stored`);
  assert.ok(!ks.logs.some((l) => /job crashed/.test(l.message)), 'no job crashed');
  // The skipped entries are recorded as finished: a restart resumes nothing and says nothing.
  await waitFor(async () => (await redis.bitcount(keys.generation(gen).done)) === items.length, 10_000, 'every entry finished in redis');
  assert.equal(await ks.stop(), 0);
  const again = await startKeepstore({ ...opts, dir: ks.dir });
  cleanups.push(() => again.destroy());
  await again.waitForLog((l) => l.message === 'resumed pull list from redis');
  assert.ok(!again.logs.some((l) => /corrupt/.test(l.message)));
});
