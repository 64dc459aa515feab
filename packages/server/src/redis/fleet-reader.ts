import type { Redis } from 'ioredis';
import { parseHeartbeat, type HeartbeatRecord } from './heartbeat-record.js';
import { masters, type RedisClient } from './redis-client.js';
import { heartbeatPattern } from './redis-keys.js';

/**
 * Every live heartbeat record under `keyPrefix`, on every master (a Cluster spreads them by
 * uuid). SCAN, never KEYS: a shared Redis stays responsive. The values are read with GETs in a
 * pipeline on the node that holds them (one MGET would cross slots on a Cluster).
 */
export async function readFleet(redis: RedisClient, keyPrefix: string): Promise<HeartbeatRecord[]> {
  const records: HeartbeatRecord[] = [];
  for (const node of masters(redis)) records.push(...(await readNode(node, keyPrefix)));
  return records;
}

async function readNode(node: Redis, keyPrefix: string): Promise<HeartbeatRecord[]> {
  const records: HeartbeatRecord[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', heartbeatPattern(keyPrefix), 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.get(key);
    for (const [err, value] of (await pipeline.exec()) ?? []) {
      const record = err ? null : parseHeartbeat(value as string | null); // expired since the SCAN: null
      if (record) records.push(record);
    }
  } while (cursor !== '0');
  return records;
}
