import os from 'node:os';
import type { WorkersView as WorkerPool } from '../ipc/workers.js';
import type { WorkLists } from '../worklist/work-lists.js';
import { volumesOf } from '../volume/create-volume.js';
import { freeBytesOrNull } from '../volume/free-space.js';
import { isAnotherServer, parseHeartbeat, type HeartbeatRecord } from './heartbeat-record.js';
import type { RedisConnection } from './redis-connection.js';
import { heartbeatKey } from './redis-keys.js';

export interface HeartbeatOptions {
  keyPrefix: string;
  uuid: string;
  /** Refresh period (ms); the record's TTL is three of these. */
  intervalMs: number;
}

export interface HeartbeatSources {
  pool: WorkerPool;
  lists: WorkLists;
  persisted(): HeartbeatRecord['persisted'];
  /** True while our uuid's key is ours (claimed since the last reconnect): only then do we beat. */
  owned(): boolean;
}

/**
 * Publishes this server's heartbeat record every `heartbeatInterval`, with a TTL of three
 * intervals, so the fleet view lists live servers only. Failures are silent: the connection
 * already logs an outage once, and a missed beat just ages the record.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = new Date().toISOString();
  private readonly key: string;
  private beating = false;
  private again = false;
  private stopped = false;
  private started = false;

  constructor(
    private readonly conn: RedisConnection,
    private readonly opts: HeartbeatOptions,
    private readonly sources: HeartbeatSources,
  ) {
    this.key = heartbeatKey(opts.keyPrefix, opts.uuid);
  }

  /** Beat now and every interval from then on; again after a re-claim, it only beats now. */
  start(): void {
    void this.beat();
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => void this.beat(), this.opts.intervalMs);
    this.timer.unref();
    // Workers coming up (at start, after a restart) change the record: publish it now.
    this.sources.pool.on('ready', () => void this.beat());
  }

  /**
   * Take our uuid's heartbeat key before anything else touches our keys: SET NX, or, when a
   * record is there, overwrite it only if it is our own (a restart). Returns the other live
   * server's record when one holds the uuid (the caller refuses to start), else null.
   */
  async claim(): Promise<HeartbeatRecord | null> {
    const ttlMs = 3 * this.opts.intervalMs;
    const ours = await this.record();
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await this.conn.client.set(this.key, JSON.stringify(ours), 'PX', ttlMs, 'NX')) === 'OK') return null;
      const found = await this.conn.client.get(this.key);
      if (found === null) continue; // expired in between: try again
      const record = parseHeartbeat(found);
      if (record && isAnotherServer(record, ours)) return record;
      await this.conn.client.set(this.key, JSON.stringify(ours), 'PX', ttlMs);
      return null;
    }
    return null;
  }

  /** Stop beating and remove the record: a cleanly stopped server leaves the fleet at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Only our own record: after a lost claim the key is another server's.
    if (this.started && this.conn.isUp && this.sources.owned()) await this.conn.client.del(this.key).catch(() => undefined);
  }

  async record(): Promise<HeartbeatRecord> {
    const { pool, lists } = this.sources;
    const config = pool.currentConfig;
    const workers = pool.status();
    const volumes = await Promise.all(
      volumesOf(config.volumes).map(async (v) => ({ uuid: v.uuid, readOnly: v.readOnly, freeBytes: await freeBytesOrNull(v) })),
    );
    return {
      url: config.publicUrl,
      uuid: this.opts.uuid,
      host: os.hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      heartbeatIntervalMs: this.opts.intervalMs,
      volumes,
      workers: {
        configured: workers.length,
        listening: workers.filter((w) => w.state === 'listening').length,
        restarts: workers.reduce((n, w) => n + w.restarts, 0),
      },
      pullQueue: lists.queue('pull'),
      trashQueue: lists.queue('trash'),
      persisted: this.sources.persisted(),
    };
  }

  /** One beat at a time (a slow statfs must not let an older record overwrite a newer one). */
  private async beat(): Promise<void> {
    if (this.beating) {
      this.again = true;
      return;
    }
    this.beating = true;
    try {
      do {
        this.again = false;
        await this.publish();
      } while (this.again);
    } finally {
      this.beating = false;
    }
  }

  private async publish(): Promise<void> {
    if (!this.conn.isUp || this.stopped || !this.sources.owned()) return;
    try {
      const ttlMs = 3 * this.opts.intervalMs;
      const record = JSON.stringify(await this.record());
      // Commands run in order on one connection: a SET sent before stop()'s DEL cannot outlive it.
      if (!this.stopped) await this.conn.client.set(this.key, record, 'PX', ttlMs);
    } catch {
      /* Redis trouble: the record ages out; the connection reports outages */
    }
  }
}
