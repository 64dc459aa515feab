import { Cluster } from 'ioredis';
import { LIST_NAMES } from '../list-progress.js';
import type { ListKind } from '../worklist/list-wire.js';
import { readCurrentList } from './list-reader.js';
import { ListWriter } from './list-writer.js';
import type { RedisClient } from './redis-client.js';
import { legacyListKeys, listKeys, type ListKeys } from './redis-keys.js';

/** What a migration moved, for the log. */
export interface Migrated {
  kind: ListKind;
  generation: string;
  entries: number;
  finished: number;
}

/**
 * Move the lists a server persisted under the layout before hash tags (`server:U:…`) to the
 * current one, once: a kind is moved only when the current layout holds no list of it yet.
 * The list and its progress bitmap are written as a new generation and made current, then the
 * old keys are deleted, so the next start finds nothing left to move. Not on a Cluster: the
 * old layout never ran there (its multi-key commands crossed slots).
 */
export async function migrateLegacyLayout(client: RedisClient, prefix: string, uuid: string): Promise<Migrated[]> {
  if (client instanceof Cluster) return [];
  const moved: Migrated[] = [];
  for (const kind of LIST_NAMES) {
    const legacy = legacyListKeys(prefix, uuid, kind);
    if ((await client.exists(legacy.current, legacy.generations)) === 0) continue;
    const keys = listKeys(prefix, uuid, kind);
    if ((await client.exists(keys.current)) === 0) {
      const found = await moveList(client, kind, legacy, keys);
      if (found) moved.push(found);
    }
    await new ListWriter(client, legacy).collectGarbage(null);
    await client.unlink(legacy.current);
  }
  await client.unlink(legacyListKeys(prefix, uuid, 'pull').sequence); // one sequence for both kinds
  return moved;
}

async function moveList(client: RedisClient, kind: ListKind, legacy: ListKeys, keys: ListKeys): Promise<Migrated | null> {
  const old = await readCurrentList(client, legacy, kind);
  if (!old) return null;
  const writer = new ListWriter(client, keys);
  const generation = await writer.allocate();
  await writer.write(generation, { kind, items: old.items, serverLists: old.serverLists, acceptedAt: old.acceptedAt }, () => false);
  await writer.writeDone(generation, old.done.bytes);
  await writer.makeCurrent(generation);
  return { kind, generation, entries: old.items.length, finished: old.done.cardinality };
}
