import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RedisClient } from './redis-client.js';
import type { ListItem, ListKind, ListSnapshot } from '../worklist/list-wire.js';
import { Bitset } from './bitset.js';
import { decodeChunk, unpackChunk } from './list-codec.js';
import type { ListKeys } from './redis-keys.js';

/** A generation as read back: the list as it was written, and which entries had finished. */
export interface StoredList extends ListSnapshot {
  /** Read back whole as items (resume compacts the unfinished ones it keeps). */
  items: readonly ListItem[];
  generation: string;
  done: Bitset;
}

/** Chunks (of 10 000 entries) fetched per round trip. */
const CHUNKS_PER_READ = 2;

/** Raised when a generation vanished or changed shape mid-read (replaced and collected). */
class GenerationGone extends Error {}

/**
 * Read the current generation of a list, in batches. A generation is immutable once current,
 * so a read of one generation is never a mix of two; if it is deleted mid-read (replaced
 * meanwhile), the count check notices and the read starts over on the new current one.
 * Returns null when no list was ever persisted.
 */
export async function readCurrentList(redis: RedisClient, keys: ListKeys, kind: ListKind, attempts = 5): Promise<StoredList | null> {
  for (let attempt = 1; ; attempt++) {
    const gen = await redis.get(keys.current);
    if (gen === null) return null;
    try {
      return await readGeneration(redis, keys, kind, gen);
    } catch (err) {
      if (!(err instanceof GenerationGone) || attempt >= attempts) throw err;
    }
  }
}

async function readGeneration(redis: RedisClient, keys: ListKeys, kind: ListKind, gen: string): Promise<StoredList> {
  const k = keys.generation(gen);
  const meta = await redis.hgetall(k.meta);
  if (!meta['count']) throw new GenerationGone(`generation ${gen} has no meta`);
  const count = Number(meta['count']);
  const items: ListItem[] = [];
  await readChunks(redis, k.entries, Number(meta['chunks']), async (chunk) =>
    decodeChunk(kind, await unpackChunk(chunk, meta['encoding']), items),
  );
  if (items.length !== count) throw new GenerationGone(`generation ${gen}: ${items.length} of ${count} entries`);
  const serverLists: string[][] = [];
  await readChunks(redis, k.servers, Number(meta['serverChunks'] ?? 0), async (chunk) => {
    for (const servers of JSON.parse(chunk.toString()) as string[][]) serverLists.push(servers);
  });
  if (serverLists.length !== Number(meta['serverLists'] ?? 0)) throw new GenerationGone(`generation ${gen}: server lists incomplete`);
  const done = new Bitset(count, await redis.getBuffer(k.done));
  return { generation: gen, kind, items, serverLists, done, acceptedAt: Number(meta['acceptedAt'] ?? 0) };
}

async function readChunks(redis: RedisClient, key: string, chunks: number, each: (chunk: Buffer) => Promise<void>): Promise<void> {
  for (let start = 0; start < chunks; start += CHUNKS_PER_READ) {
    const part = await redis.lrangeBuffer(key, start, Math.min(start + CHUNKS_PER_READ, chunks) - 1);
    if (part.length === 0) throw new GenerationGone(`${key} vanished mid-read`);
    for (const chunk of part) await each(chunk);
    await yieldToEventLoop();
  }
}
