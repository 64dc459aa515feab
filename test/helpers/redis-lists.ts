/**
 * Reading a keepstore's persisted lists straight from Redis (any client: one Redis, a
 * Sentinel master, a Cluster), the way the tests check what survived a kill or a failover.
 */
import assert from 'node:assert/strict';
import type { Cluster, Redis } from 'ioredis';
import type { Keepstore } from './keepstore-process.ts';
import { getStatus, hasBlock, waitForPullIdle, type Block } from './pull-helpers.ts';
import { Bitset } from '../../packages/server/src/redis/bitset.ts';
import type { ListKeys } from '../../packages/server/src/redis/redis-keys.ts';

/** The progress bitmap of the current generation (empty when no list is persisted). */
export async function persistedDone(redis: Redis | Cluster, keys: ListKeys, size: number): Promise<Bitset> {
  const gen = await redis.get(keys.current);
  return new Bitset(size, gen ? await redis.getBuffer(keys.generation(gen).done) : null);
}

/**
 * SIGKILL `ks` with its pull list of `blocks` in flight, start it again with `restart`, and
 * check it resumed exactly the part not recorded as finished at the kill, then pulled it all.
 * Returns the restarted server and the bitmap as it was at the kill.
 */
export async function killAndResume(
  ks: Keepstore,
  restart: () => Promise<Keepstore>,
  redis: Redis | Cluster,
  keys: ListKeys,
  blocks: readonly Block[],
): Promise<{ again: Keepstore; done: Bitset }> {
  ks.proc.kill('SIGKILL');
  await ks.stop();
  const done = await persistedDone(redis, keys, blocks.length);
  assert.ok(done.cardinality < blocks.length, 'killed with the list in flight');
  const again = await restart();
  const resumed = await again.waitForLog((l) => l.message === 'resumed pull list from redis');
  assert.equal(resumed['entries'], blocks.length);
  assert.equal(resumed['alreadyFinished'], done.cardinality);
  assert.equal((await getStatus(again)).pullQueue.listSize, blocks.length - done.cardinality);
  await waitForPullIdle(again, blocks.length - done.cardinality, 60_000);
  for (const b of blocks) assert.ok(await hasBlock(again.volumeRoot(0), b.hash), `${b.locator} stored`);
  return { again, done };
}
