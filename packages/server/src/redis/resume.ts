import type { RedisClient } from './redis-client.js';
import { CompactList } from '../worklist/compact-list.js';
import type { ListKind, ListSnapshot } from '../worklist/list-wire.js';
import { readCurrentList } from './list-reader.js';
import type { ListKeys } from './redis-keys.js';
import { validateResumed, type CorruptEntry } from './resume-validation.js';

/** The unfinished part of a persisted list, ready to install. */
export interface ResumedList {
  generation: string;
  /** Entries in the persisted list, and how many of them had finished. */
  total: number;
  finished: number;
  /** The unfinished entries: installed as the list, and mirrored by the persister. */
  snapshot: ListSnapshot;
  /** map[i] = ordinal in the persisted generation of installed entry i. */
  map: Uint32Array;
  /** Unfinished entries the upload validator refuses: not installed. */
  corrupt: CorruptEntry[];
}

/**
 * Load the current persisted list of `kind` and keep the entries not yet finished, in order,
 * that pass the same validation as an upload (Redis is shared: what it holds is input, not
 * truth). Null when Redis holds no list for this server.
 */
export async function loadUnfinished(redis: RedisClient, keys: ListKeys, kind: ListKind): Promise<ResumedList | null> {
  const stored = await readCurrentList(redis, keys, kind);
  if (!stored) return null;
  const total = stored.items.length;
  const unfinished = new Uint32Array(total - stored.done.cardinality);
  let n = 0;
  for (let i = 0; i < total && n < unfinished.length; i++) if (!stored.done.has(i)) unfinished[n++] = i;
  const candidates = Array.from(unfinished, (i) => stored.items.at(i)!);
  const { valid, corrupt } = await validateResumed(kind, candidates, stored.serverLists, unfinished);
  const map = corrupt.length === 0 ? unfinished : Uint32Array.from(valid, (i) => unfinished[i]!);
  const items = corrupt.length === 0 ? candidates : valid.map((i) => candidates[i]!);
  return {
    generation: stored.generation,
    total,
    finished: total - unfinished.length,
    snapshot: { kind, items: CompactList.of(kind, items), serverLists: stored.serverLists, acceptedAt: stored.acceptedAt },
    map,
    corrupt,
  };
}
