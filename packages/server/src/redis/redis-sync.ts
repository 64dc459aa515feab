import type { KeepstoreConfig } from '../config/config.js';
import type { WorkersView as WorkerPool } from '../ipc/workers.js';
import type { Logger } from '../log/logger.js';
import { describeError } from '../log/logger.js';
import { LIST_NAMES } from '../list-progress.js';
import type { ListKind } from '../worklist/list-wire.js';
import type { WorkLists } from '../worklist/work-lists.js';
import { Heartbeat } from './heartbeat.js';
import { migrateLegacyLayout } from './legacy-migration.js';
import type { HeartbeatRecord } from './heartbeat-record.js';
import { ListPersister } from './list-persister.js';
import { ListWriter } from './list-writer.js';
import { PauseStore } from './pause-store.js';
import { RedisConnection } from './redis-connection.js';
import { limitsKey, listKeys, pausedKey, type ListKeys } from './redis-keys.js';
import { LimitsStore, type LiveLimitsState } from './limits-store.js';
import { loadUnfinished } from './resume.js';

/** How long start-up waits for Redis before going on from memory (ms). */
const START_CONNECT_TIMEOUT_MS = 3_000;
/** Corrupt resumed entries logged one by one; beyond, one line with the count. */
const LOGGED_CORRUPT_ENTRIES = 10;

type RedisConfig = NonNullable<KeepstoreConfig['redis']>;

/** Another live server publishes a heartbeat under our uuid: we must not touch its keys. */
export interface UuidInUse {
  message: string;
  fields: Record<string, string | number>;
}

function uuidInUse(other: HeartbeatRecord, ours: HeartbeatRecord): UuidInUse {
  return {
    message:
      `uuid ${ours.uuid} is in use by another live keepstore, ${other.url} on ${other.host ?? 'an unknown host'} ` +
      `(pid ${other.pid}); this one is ${ours.url} on ${ours.host}: give each server sharing a Redis its own uuid`,
    fields: { uuid: ours.uuid, otherUrl: other.url, otherHost: other.host ?? '', otherPid: other.pid, url: ours.url, host: ours.host },
  };
}

/**
 * Everything the primary does with Redis (README "Operating with Redis"): resume the lists at start,
 * mirror every accepted list and its progress, re-sync after an outage, and publish the
 * heartbeat. Redis is never waited for on the data path: lists live in memory and Redis
 * follows them.
 */
export class RedisSync {
  private readonly conn: RedisConnection;
  private readonly persisters: Record<ListKind, ListPersister>;
  private readonly heartbeat: Heartbeat;
  private readonly pauses: PauseStore;
  /** The resume in progress, if any: start-up and a reconnect must not read the lists twice. */
  private resuming: Promise<void> | null = null;
  /** Our uuid's heartbeat key is ours (claimed): only then are our keys read or written. */
  private claimed = false;
  private migrated = false;
  /** A claim that failed on a Redis error is tried again after this timer (see tryClaim). */
  private claimRetry: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly limitsStore: LimitsStore | null;

  /** The Redis side of the primary, or null when no `redis` is configured (lists in memory only). */
  static fromConfig(config: KeepstoreConfig, pool: WorkerPool, lists: WorkLists, log: Logger, limits?: LiveLimitsState): RedisSync | null {
    return config.redis ? new RedisSync(config, config.redis, pool, lists, log, limits) : null;
  }

  private constructor(
    private readonly config: KeepstoreConfig,
    private readonly redis: RedisConfig,
    pool: WorkerPool,
    private readonly lists: WorkLists,
    private readonly log: Logger,
    limits?: LiveLimitsState,
  ) {
    this.conn = new RedisConnection({ target: redis }, log);
    // Nothing is written under our uuid before it is ours (claimed).
    const isUp = (): boolean => this.conn.isUp && this.claimed;
    this.limitsStore = limits ? new LimitsStore(this.conn.client, limitsKey(redis.keyPrefix, config.uuid), limits, log, isUp) : null;
    const persister = (kind: ListKind): ListPersister =>
      new ListPersister(kind, new ListWriter(this.conn.client, this.keys(kind)), log, { isUp });
    this.persisters = { pull: persister('pull'), trash: persister('trash') };
    const beat = { keyPrefix: redis.keyPrefix, uuid: config.uuid, intervalMs: redis.heartbeatInterval };
    this.heartbeat = new Heartbeat(this.conn, beat, {
      pool,
      lists,
      persisted: () => ({ pull: this.persisters.pull.currentGeneration, trash: this.persisters.trash.currentGeneration }),
      owned: () => this.claimed,
    });
    this.pauses = new PauseStore(this.conn.client, (kind) => pausedKey(redis.keyPrefix, config.uuid, kind), lists, log);
    lists.onReplaced((list) => this.persisters[list.kind].accepted(list, lists.generation(list.kind)));
    lists.onEntryFinished((kind, generation, ordinal) => this.persisters[kind].finished(generation, ordinal));
  }

  /**
   * Resume the persisted lists (call before workers start, so none takes a job of an empty
   * list first). Never hangs on Redis: without a connection within a few seconds it goes on
   * from memory and resumes when Redis comes back (unless a new list arrived first).
   */
  async start(): Promise<UuidInUse | null> {
    const up = await this.conn.waitUntilUp(START_CONNECT_TIMEOUT_MS);
    if (up) {
      const refusal = await this.tryClaim();
      if (refusal) {
        await this.conn.close();
        return refusal;
      }
      if (this.claimed) {
        await this.pauses.sync(LIST_NAMES); // before any worker can take a job of a paused list
        await Promise.all([this.resumeAll(), this.limitsStore?.connected(false)]);
      }
    }
    // The connection has already warned about the outage (once); this only says what it means here.
    else this.log.info('lists not resumed from redis yet: they will be when it is reachable', { timeoutMs: START_CONNECT_TIMEOUT_MS });
    this.conn.on('up', (recovered) => void this.onUp(recovered));
    // While we were away our record may have expired and another server taken the uuid: claim
    // it again on reconnect before anything (a beat, a list write) touches our keys.
    this.conn.on('down', () => {
      this.claimed = false;
    });
    return null;
  }

  /** The operator paused or resumed `kind` (applied already): resolves once Redis has it, or at once while Redis is away. */
  pauseChanged(kind: ListKind): Promise<void> {
    return this.pauses.changed(kind, this.conn.isUp && this.claimed);
  }

  /** After the workers stopped: flush the last progress, drop the heartbeat, close. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.claimRetry) clearTimeout(this.claimRetry);
    await Promise.all(LIST_NAMES.map((kind) => this.persisters[kind].stop()));
    await this.heartbeat.stop();
    await this.conn.close();
  }

  private keys(kind: ListKind): ListKeys {
    return listKeys(this.redis.keyPrefix, this.config.uuid, kind);
  }

  /** Claim our uuid (see Heartbeat.claim); a refusal when another live server holds it. */
  private async claim(): Promise<UuidInUse | null> {
    if (this.claimed) return null;
    const other = await this.heartbeat.claim();
    if (other) return uuidInUse(other, await this.heartbeat.record());
    if (this.claimed) return null; // a concurrent claim (a reconnect and a retry) won
    this.claimed = true;
    if (this.claimRetry !== null) this.log.info('claimed our uuid in redis: persisting the lists');
    this.claimRetry = null;
    this.heartbeat.start(); // beats only once the uuid is ours: a beat never overwrites another's record
    return null;
  }

  /**
   * claim(), and when Redis fails the command (a timeout, OOM at maxmemory, a replica that
   * became read-only) rather than refusing our uuid: one warning, and another try every
   * heartbeat interval while connected (a reconnect tries too). Without it the connection
   * stays up, no 'up' comes, and the lists would never be persisted, without a word.
   */
  private async tryClaim(): Promise<UuidInUse | null> {
    try {
      return await this.claim();
    } catch (err) {
      if (this.claimRetry === null) {
        this.log.warn('cannot claim our uuid in redis: lists in memory only until it can', { error: describeError(err) });
      }
      this.claimRetry = setTimeout(() => {
        if (!this.stopped && !this.claimed && this.conn.isUp) void this.onUp(true);
      }, this.redis.heartbeatInterval);
      this.claimRetry.unref();
      return null;
    }
  }

  private async onUp(recovered: boolean): Promise<void> {
    if (!this.claimed) {
      // Redis was away (at start, or since the last claim): another live server may hold our
      // uuid now. Then leave Redis alone.
      const refusal = await this.tryClaim();
      if (refusal) {
        this.log.error(`${refusal.message}: lists stay in memory only`, refusal.fields);
        await this.conn.close();
        return;
      }
      if (!this.claimed) return;
    }
    await this.pauses.sync(LIST_NAMES);
    await Promise.all([this.resumeAll(), this.limitsStore?.connected(recovered)]);
    for (const kind of LIST_NAMES) {
      const p = this.persisters[kind];
      if (p.known && (recovered || p.needsSync)) p.sync();
    }
  }

  /** Resume every kind not yet known (no list accepted or resumed since start). */
  private resumeAll(): Promise<void> {
    this.resuming ??= this.resumeUnknown().finally(() => (this.resuming = null));
    return this.resuming;
  }

  private async resumeUnknown(): Promise<void> {
    await this.migrateOnce();
    for (const kind of LIST_NAMES) {
      if (this.persisters[kind].known) continue;
      try {
        await this.resume(kind);
      } catch (err) {
        this.log.warn('cannot resume list from redis: going on from memory', { kind, error: describeError(err) });
      }
    }
  }

  /** Lists persisted under the layout before hash tags are moved to ours, before the first resume. */
  private async migrateOnce(): Promise<void> {
    if (this.migrated) return;
    try {
      for (const moved of await migrateLegacyLayout(this.conn.client, this.redis.keyPrefix, this.config.uuid)) {
        this.log.info(`migrated ${moved.kind} list from the old redis key layout`, { ...moved });
      }
      this.migrated = true;
    } catch (err) {
      this.log.warn('cannot migrate lists from the old redis key layout: will try again on reconnect', { error: describeError(err) });
    }
  }

  private async resume(kind: ListKind): Promise<void> {
    const started = Date.now();
    const found = await loadUnfinished(this.conn.client, this.keys(kind), kind);
    const persister = this.persisters[kind];
    // A list accepted while we were reading wins over the persisted one.
    if (persister.known) return;
    if (!found) {
      persister.resumed(null, this.lists.generation(kind), null, null);
      this.log.info('no list to resume from redis', { kind });
      return;
    }
    for (const entry of found.corrupt.slice(0, LOGGED_CORRUPT_ENTRIES)) {
      this.log.warn(`skipped a corrupt ${kind} list entry resumed from redis`, {
        kind,
        generation: found.generation,
        ordinal: entry.ordinal,
        reason: entry.reason,
      });
    }
    if (found.corrupt.length > LOGGED_CORRUPT_ENTRIES) {
      this.log.warn(`skipped more corrupt ${kind} list entries resumed from redis`, {
        kind,
        generation: found.generation,
        count: found.corrupt.length - LOGGED_CORRUPT_ENTRIES,
      });
    }
    if (found.snapshot.items.length > 0) this.lists.install(found.snapshot);
    persister.resumed(found.snapshot, this.lists.generation(kind), found.generation, found.map);
    persister.skipped(
      found.generation,
      found.corrupt.map((c) => c.ordinal),
    ); // logged once, not at every restart
    this.log.info(`resumed ${kind} list from redis`, {
      kind,
      generation: found.generation,
      entries: found.total,
      alreadyFinished: found.finished,
      resumed: found.map.length,
      skippedCorrupt: found.corrupt.length,
      durationMs: Date.now() - started,
    });
  }
}
