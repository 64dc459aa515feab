import { EventEmitter } from 'node:events';
import { Cluster } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import { createRedisClient, describeTarget, type RedisClient, type RedisTarget } from './redis-client.js';

export interface RedisConnectionOptions {
  target: RedisTarget;
  /** Milliseconds one command may take before it fails (Redis hung, not gone). @default 10000 */
  commandTimeoutMs?: number;
  /** First reconnect delay in ms; doubles per attempt up to maxBackoffMs, plus jitter. @default 100 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

export interface RedisConnectionEvents {
  /** Connected and ready; `recovered` is true after an outage or a failover (time to re-sync). */
  up: [recovered: boolean];
  /** The connection went away (emitted once per outage). */
  down: [];
}

/**
 * The primary's single Redis connection (one Redis, a Sentinel group's master, or a Cluster), configured so Redis can never block it: commands are
 * not queued while disconnected (they fail at once), each has a timeout, and one retry at most.
 * Reconnection runs in the background with exponential backoff and jitter. An outage is logged
 * once when it starts and once when it ends, never per command or per retry. A Sentinel
 * failover drops the connection (an outage until the new master answers); a Cluster node lost
 * (ioredis drops it from its pool: dead, failed over, removed) counts as a recovery too:
 * writes it took may not have reached its replica, so the lists are re-synced (the rewrite
 * waits in ioredis' cluster retries until the slot has a master again, or is retried).
 */
export class RedisConnection extends EventEmitter<RedisConnectionEvents> {
  readonly client: RedisClient;
  /** Where it connects (no password), for messages. */
  readonly where: string;
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  private closed = false;

  constructor(
    opts: RedisConnectionOptions,
    private readonly log: Logger,
  ) {
    super();
    const min = opts.minBackoffMs ?? 100;
    const max = opts.maxBackoffMs ?? 5_000;
    this.client = createRedisClient(opts.target, {
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs ?? 10_000,
      connectTimeout: 5_000,
      retryStrategy: (times) => Math.min(min * 2 ** (times - 1), max) + Math.floor(Math.random() * 200),
      lazyConnect: false,
    });
    this.where = describeTarget(opts.target);
    this.client.on('ready', () => this.onReady());
    this.client.on('error', (err: Error) => this.onFailure(err));
    this.client.on('close', () => this.onFailure(null));
    if (this.client instanceof Cluster) this.client.on('-node', (_node: unknown, key: string) => this.onNodeGone(key));
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  /** Resolves true once ready, false after `timeoutMs` (Redis down: the caller goes on without it). */
  waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.isUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('up', onUp);
        resolve(false);
      }, timeoutMs);
      const onUp = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('up', onUp);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.state = 'down'; // nothing is attempted on a closed connection
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private onReady(): void {
    const recovered = this.state === 'down';
    this.state = 'up';
    if (recovered) this.log.info('redis connection restored: re-syncing lists', { redis: this.where });
    else this.log.info('connected to redis', { redis: this.where });
    this.emit('up', recovered);
  }

  private onNodeGone(node: string): void {
    if (this.closed || this.state !== 'up') return;
    this.log.info('redis cluster node lost: re-syncing lists', { node });
    this.emit('up', true);
  }

  private onFailure(err: Error | null): void {
    if (this.closed || this.state === 'down') return;
    // An error while the client is still ready is not a loss (a Cluster reports a failed slot
    // refresh this way and goes on); a real one is followed by 'close'.
    if (err && this.client.status === 'ready') return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    const error = err ? describeError(err) : { name: 'Error', message: 'connection closed' };
    this.log.warn(
      wasUp
        ? 'redis connection lost: working from memory, reconnecting in the background'
        : 'redis unavailable: working from memory, connecting in the background',
      { redis: this.where, error },
    );
    this.emit('down');
  }
}
