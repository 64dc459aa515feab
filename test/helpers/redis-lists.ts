/**
 * Reading a keepstore's persisted lists straight from Redis (any client: one Redis, a
 * Sentinel master, a Cluster), the way the tests check what survived a kill or a failover.
 */
import type { Cluster, Redis } from 'ioredis';
import { Bitset } from '../../packages/server/src/redis/bitset.ts';
import type { ListKeys } from '../../packages/server/src/redis/redis-keys.ts';

/** The progress bitmap of the current generation (empty when no list is persisted). */
export async function persistedDone(redis: Redis | Cluster, keys: ListKeys, size: number): Promise<Bitset> {
  const gen = await redis.get(keys.current);
  return new Bitset(size, gen ? await redis.getBuffer(keys.generation(gen).done) : null);
}
