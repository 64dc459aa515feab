import type { WriteStream } from 'node:tty';
import { describeError } from '../log/logger.js';
import { formatFleet } from './fleet-table.js';
import { readFleet } from './fleet-reader.js';
import { watchFleet } from './fleet-watch.js';
import { createRedisClient, describeTarget, type RedisTarget } from './redis-client.js';

export interface FleetOptions {
  target: RedisTarget;
  keyPrefix: string;
  json: boolean;
  /** `--watch`: redraw every this many ms while `out` is a terminal (null: print once). */
  watchMs: number | null;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * `keepstore fleet`: print the table (or JSON) of every live keepstore; with `--watch` on a
 * terminal, redraw it with progress bars until Ctrl-C (not a terminal: the table, once).
 * Exit code 1 if Redis is unreachable at first.
 */
export async function runFleet(opts: FleetOptions): Promise<number> {
  const watch = opts.watchMs !== null && isTTY(opts.out) ? { keyPrefix: opts.keyPrefix, intervalMs: opts.watchMs, out: opts.out } : null;
  const redis = createRedisClient(opts.target, {
    lazyConnect: true,
    connectTimeout: 5_000,
    commandTimeout: 10_000,
    maxRetriesPerRequest: 0,
    // A one-shot command reports a failure instead of retrying; a watch reconnects and says so on screen.
    retryStrategy: watch ? () => 1_000 : () => null,
  });
  redis.on('error', () => undefined); // reported below, once
  try {
    await redis.connect();
    const records = await readFleet(redis, opts.keyPrefix);
    if (watch) return await watchFleet(redis, watch);
    opts.out.write(opts.json ? `${JSON.stringify(records, null, 2)}\n` : formatFleet(records));
    return 0;
  } catch (err) {
    opts.err.write(`keepstore fleet: cannot read ${describeTarget(opts.target)}: ${describeError(err).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

function isTTY(out: NodeJS.WritableStream): out is WriteStream {
  return (out as Partial<WriteStream>).isTTY === true;
}
