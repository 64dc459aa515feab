import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RedisClient } from './redis-client.js';
import type { ListSnapshot } from '../worklist/list-wire.js';
import { CHUNK_ENCODING, CHUNK_SIZE, SERVER_CHUNK_SIZE, encodeChunk, packChunk } from './list-codec.js';
import type { ListKeys } from './redis-keys.js';

/** SETBITs per pipeline when recording progress. */
const BITS_PER_PIPELINE = 10_000;

/**
 * Writes generations of one server's list of one kind. A generation is written in full under
 * its own keys (one chunk of 10 000 entries per round trip, yielding to the event loop between
 * them, so a million entries block neither this process nor Redis), then made current with a
 * single SET of the pointer; older generations are UNLINKed afterwards (freed in the background).
 */
export class ListWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ListKeys,
  ) {}

  /** A new, never used generation number, registered for garbage collection. */
  async allocate(): Promise<string> {
    const gen = String(await this.redis.incr(this.keys.sequence));
    await this.redis.sadd(this.keys.generations, gen);
    return gen;
  }

  /**
   * Write everything of `gen` but the pointer. `cancelled` is checked between batches: a newer
   * list makes this one moot. Returns false if it was cancelled.
   */
  async write(gen: string, list: ListSnapshot, cancelled: () => boolean): Promise<boolean> {
    const k = this.keys.generation(gen);
    await this.redis.unlink(k.entries, k.servers, k.done, k.meta); // in case of a reused number after a Redis reset
    const chunks = await this.pushChunks(
      k.entries,
      list.items.length,
      CHUNK_SIZE,
      (s, e) => packChunk(encodeChunk(list.items, s, e)),
      cancelled,
    );
    if (chunks < 0) return false;
    const serverChunks = await this.pushChunks(
      k.servers,
      list.serverLists.length,
      SERVER_CHUNK_SIZE,
      (s, e) => JSON.stringify(list.serverLists.slice(s, e)),
      cancelled,
    );
    if (serverChunks < 0) return false;
    await this.redis.hset(k.meta, {
      kind: list.kind,
      count: list.items.length,
      chunkSize: CHUNK_SIZE,
      chunks,
      encoding: CHUNK_ENCODING,
      serverLists: list.serverLists.length,
      serverChunkSize: SERVER_CHUNK_SIZE,
      serverChunks,
      acceptedAt: list.acceptedAt,
      writtenAt: Date.now(),
    });
    return true;
  }

  /** Replace the whole progress bitmap of `gen` (a snapshot; later bits go through markDone). */
  async writeDone(gen: string, bitmap: Buffer): Promise<void> {
    const key = this.keys.generation(gen).done;
    if (bitmap.some((b) => b !== 0)) await this.redis.set(key, bitmap);
    else await this.redis.unlink(key);
  }

  /** The atomic switch: from this SET on, every reader sees `gen` whole. */
  async makeCurrent(gen: string): Promise<void> {
    await this.redis.set(this.keys.current, gen);
  }

  /** Record finished entries of `gen` by ordinal, in pipelines. */
  async markDone(gen: string, ordinals: readonly number[]): Promise<void> {
    const key = this.keys.generation(gen).done;
    for (let i = 0; i < ordinals.length; i += BITS_PER_PIPELINE) {
      const pipeline = this.redis.pipeline();
      for (const n of ordinals.slice(i, i + BITS_PER_PIPELINE)) pipeline.setbit(key, n, 1);
      throwFirstError(await pipeline.exec());
    }
  }

  /** Delete every generation but `keep` (old lists, aborted writes, crash leftovers). */
  async collectGarbage(keep: string | null): Promise<number> {
    const gens = (await this.redis.smembers(this.keys.generations)).filter((g) => g !== keep);
    for (const gen of gens) await this.deleteGeneration(gen);
    return gens.length;
  }

  async deleteGeneration(gen: string): Promise<void> {
    const k = this.keys.generation(gen);
    await this.redis.pipeline().unlink(k.meta, k.entries, k.servers, k.done).srem(this.keys.generations, gen).exec();
  }

  /** RPUSH `total` items as chunks of `size`, one round trip each; returns the chunk count, -1 if cancelled. */
  private async pushChunks(
    key: string,
    total: number,
    size: number,
    encode: (start: number, end: number) => string | Buffer | Promise<Buffer>,
    cancelled: () => boolean,
  ): Promise<number> {
    let chunks = 0;
    for (let start = 0; start < total; start += size) {
      if (cancelled()) return -1;
      await this.redis.rpush(key, await encode(start, Math.min(start + size, total)));
      chunks++;
      await yieldToEventLoop();
    }
    return cancelled() ? -1 : chunks;
  }
}

/** A pipeline resolves even when commands in it failed: surface the first failure. */
export function throwFirstError(results: Array<[Error | null, unknown]> | null): void {
  if (results === null) throw new Error('redis pipeline was discarded');
  for (const [err] of results) if (err) throw err;
}
