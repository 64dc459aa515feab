import type { Redis } from 'ioredis';
import { describeError } from '../log/logger.js';
import { formatFleet } from './fleet-table.js';
import { parseHeartbeat, type HeartbeatRecord } from './heartbeat-record.js';
import { createRedisClient, describeTarget, masters, type RedisClient, type RedisTarget } from './redis-client.js';
import { heartbeatPattern } from './redis-keys.js';

export interface FleetOptions {
  target: RedisTarget;
  keyPrefix: string;
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

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

/** `keepstore fleet`: print the table (or JSON) of every live keepstore. Exit code 1 if Redis is unreachable. */
export async function runFleet(opts: FleetOptions): Promise<number> {
  const redis = createRedisClient(opts.target, {
    lazyConnect: true,
    connectTimeout: 5_000,
    commandTimeout: 10_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // a one-shot command: report the failure instead of retrying
  });
  redis.on('error', () => undefined); // reported below, once
  try {
    await redis.connect();
    const records = await readFleet(redis, opts.keyPrefix);
    opts.out.write(opts.json ? `${JSON.stringify(records, null, 2)}\n` : formatFleet(records));
    return 0;
  } catch (err) {
    opts.err.write(`keepstore fleet: cannot read ${describeTarget(opts.target)}: ${describeError(err).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}
