import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ListValidationError, parsePullList, parseTrashList } from '@keepstore/protocol';
import type { ListKind } from '../worklist/list-wire.js';
import type { ListItem } from './list-codec.js';

/** Entries validated per parse (then the event loop gets a turn); bounds the re-parse after a corrupt entry. */
const BATCH = 5_000;

/** An entry read back from Redis that the upload validator refuses. */
export interface CorruptEntry {
  /** Its ordinal in the persisted generation. */
  ordinal: number;
  /** The validator's reason, as a 400 would name it. */
  reason: string;
}

/**
 * One stored entry as the JSON object an upload would have carried, so the HTTP upload's own
 * validator (parsePullList / parseTrashList) judges it. A trash block_mtime that is all digits
 * is written as a bare JSON number (the validator reads its digits exactly); anything else as a
 * string, which the validator refuses by name. A pull entry whose server-list index points
 * nowhere gets `servers: null`. Server lists are few and shared: each is serialized once.
 */
function entryEncoder(kind: ListKind, serverLists: readonly (readonly string[])[]): (item: ListItem) => string {
  const serversJson = serverLists.map((servers) => JSON.stringify(servers));
  const mount = (m: string | null): string => (m === null ? 'null' : JSON.stringify(m));
  if (kind === 'pull') {
    return ([locator, second, m]) =>
      `{"locator":${JSON.stringify(locator)},"servers":${(typeof second === 'number' && serversJson[second]) || 'null'},"mount_uuid":${mount(m)}}`;
  }
  return ([locator, second, m]) => {
    const mtime = /^[0-9]+$/.test(String(second)) ? String(second) : JSON.stringify(second);
    return `{"locator":${JSON.stringify(locator)},"block_mtime":${mtime},"mount_uuid":${mount(m)}}`;
  };
}

/**
 * Split resumed entries into those the upload path would accept and those it would refuse.
 * `ordinals[i]` is entry i's ordinal in the persisted generation (for the log). Returns the
 * indexes (into `items`) of the valid entries, in order, and the corrupt ones. Yields to the
 * event loop between batches: a million entries must not stall the primary.
 */
export async function validateResumed(
  kind: ListKind,
  items: readonly ListItem[],
  serverLists: readonly (readonly string[])[],
  ordinals: ArrayLike<number>,
): Promise<{ valid: number[]; corrupt: CorruptEntry[] }> {
  const parse = kind === 'pull' ? parsePullList : parseTrashList;
  const encode = entryEncoder(kind, serverLists);
  const valid: number[] = [];
  const corrupt: CorruptEntry[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    let batch: number[] = [];
    for (let i = start; i < Math.min(start + BATCH, items.length); i++) batch.push(i);
    // Parse the batch; on a refusal, record that entry and parse what follows it again.
    while (batch.length > 0) {
      try {
        parse(`[${batch.map((i) => encode(items[i]!)).join(',')}]`);
        valid.push(...batch);
        batch = [];
      } catch (err) {
        if (!(err instanceof ListValidationError) || err.index === null) throw err;
        valid.push(...batch.slice(0, err.index));
        corrupt.push({ ordinal: ordinals[batch[err.index]!]!, reason: err.reason });
        batch = batch.slice(err.index + 1);
      }
    }
    await yieldToEventLoop();
  }
  return { valid, corrupt };
}
