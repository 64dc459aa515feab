import { Redis } from 'ioredis';
import { describeError } from '../log/logger.js';
import { formatFleet } from './fleet-table.js';
import { parseHeartbeat, type HeartbeatRecord } from './heartbeat-record.js';
import { heartbeatPattern } from './redis-keys.js';

export interface FleetOptions {
  url: string;
  keyPrefix: string;
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Every live heartbeat record under `keyPrefix` (SCAN, never KEYS: a shared Redis stays responsive). */
export async function readFleet(redis: Redis, keyPrefix: string): Promise<HeartbeatRecord[]> {
  const records: HeartbeatRecord[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', heartbeatPattern(keyPrefix), 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    for (const value of await redis.mget(...keys)) {
      const record = parseHeartbeat(value); // expired between SCAN and MGET: null
      if (record) records.push(record);
    }
  } while (cursor !== '0');
  return records;
}

/** `keepstore fleet`: print the table (or JSON) of every live keepstore. Exit code 1 if Redis is unreachable. */
export async function runFleet(opts: FleetOptions): Promise<number> {
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    commandTimeout: 10_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null, // a one-shot command: report the failure instead of retrying
  });
  redis.on('error', () => undefined); // reported below, once
  try {
    await redis.connect();
    const records = await readFleet(redis, opts.keyPrefix);
    opts.out.write(opts.json ? `${JSON.stringify(records, null, 2)}\n` : formatFleet(records));
    return 0;
  } catch (err) {
    opts.err.write(`keepstore fleet: cannot read ${opts.url}: ${describeError(err).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}
