import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ListValidationError, tryParseLocator } from '@keepstore/protocol';
import { LIST_KINDS } from '../worklist/list-kinds.js';
import { itemLocator, type ListItem, type ListKind } from '../worklist/list-wire.js';

/** Entries judged between two turns of the event loop. */
const BATCH = 10_000;

/** An entry read back from Redis that the upload validator refuses. */
export interface CorruptEntry {
  /** Its ordinal in the persisted generation. */
  ordinal: number;
  /** The validator's reason, as a 400 would name it. */
  reason: string;
}

/** A locator the validator accepts, to judge the other parts of an entry on their own. */
const GOOD_LOCATOR = 'd41d8cd98f00b204e9800998ecf8427e+0';

/**
 * The upload validator's verdict on each entry, cheaply. The validator (the kind's `parse`,
 * which judges an upload's JSON, fed the entry as `uploadJson`) is the judge; since it costs a
 * JSON parse per entry, an entry is sent to it only when a quick check has a doubt. The quick
 * check uses the validator's own locator parser (tryParseLocator, with a size hint) per entry,
 * the kind's `quickProbe` for its own field, and asks the validator itself once per distinct
 * rest (server list and mount: few, shared by many entries).
 */
function entryJudge(kind: ListKind, serverLists: readonly (readonly string[])[]): (item: ListItem) => string | null {
  const spec = LIST_KINDS[kind];
  const serversJson = serverLists.map((servers) => JSON.stringify(servers)); // few, shared: each once
  const verdict = (item: ListItem): string | null => {
    try {
      spec.parse(`[${spec.uploadJson(item, serversJson)}]`);
      return null;
    } catch (err) {
      if (err instanceof ListValidationError) return err.reason;
      throw err;
    }
  };
  const parts = new Map<string, string | null>();
  const partVerdict = (key: string, probe: ListItem): string | null => {
    let v = parts.get(key);
    if (v === undefined) parts.set(key, (v = verdict(probe)));
    return v;
  };
  const quick = (item: ListItem): boolean => {
    if (tryParseLocator(itemLocator(item))?.size == null) return false;
    const part = spec.quickProbe(item, serverLists, GOOD_LOCATOR);
    return part !== null && partVerdict(part.key, part.probe) === null;
  };
  return (item) => (quick(item) ? null : verdict(item));
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
  const judge = entryJudge(kind, serverLists);
  const valid: number[] = [];
  const corrupt: CorruptEntry[] = [];
  for (let i = 0; i < items.length; i++) {
    const reason = judge(items[i]!);
    if (reason === null) valid.push(i);
    else corrupt.push({ ordinal: ordinals[i]!, reason });
    if (i % BATCH === BATCH - 1) await yieldToEventLoop();
  }
  return { valid, corrupt };
}
