import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';

export interface RedisConnectionOptions {
  url: string;
  /** Milliseconds one command may take before it fails (Redis hung, not gone). @default 10000 */
  commandTimeoutMs?: number;
  /** First reconnect delay in ms; doubles per attempt up to maxBackoffMs, plus jitter. @default 100 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

export interface RedisConnectionEvents {
  /** Connected and ready; `recovered` is true after an outage (time to re-sync). */
  up: [recovered: boolean];
  /** The connection went away (emitted once per outage). */
  down: [];
}

/**
 * The primary's single Redis connection, configured so Redis can never block it: commands are
 * not queued while disconnected (they fail at once), each has a timeout, and one retry at most.
 * Reconnection runs in the background with exponential backoff and jitter. An outage is logged
 * once when it starts and once when it ends, never per command or per retry.
 */
export class RedisConnection extends EventEmitter<RedisConnectionEvents> {
  readonly client: Redis;
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  private closed = false;

  constructor(
    opts: RedisConnectionOptions,
    private readonly log: Logger,
  ) {
    super();
    const min = opts.minBackoffMs ?? 100;
    const max = opts.maxBackoffMs ?? 5_000;
    this.client = new Redis(opts.url, {
      enableOfflineQueue: false, // a command while Redis is away fails now instead of waiting
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs ?? 10_000,
      connectTimeout: 5_000,
      retryStrategy: (times) => Math.min(min * 2 ** (times - 1), max) + Math.floor(Math.random() * 200),
      lazyConnect: false,
    });
    this.client.on('ready', () => this.onReady());
    this.client.on('error', (err) => this.onFailure(err));
    this.client.on('close', () => this.onFailure(null));
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
    if (recovered) this.log.info('redis connection restored: re-syncing lists');
    else this.log.info('connected to redis');
    this.emit('up', recovered);
  }

  private onFailure(err: Error | null): void {
    if (this.closed || this.state === 'down') return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    const error = err ? describeError(err) : { name: 'Error', message: 'connection closed' };
    this.log.warn(
      wasUp
        ? 'redis connection lost: working from memory, reconnecting in the background'
        : 'redis unavailable: working from memory, connecting in the background',
      { error },
    );
    this.emit('down');
  }
}
