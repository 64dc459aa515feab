import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ListValidationError, parsePullList, parseTrashList, tryParseLocator } from '@keepstore/protocol';
import type { ListKind } from '../worklist/list-wire.js';
import type { ListItem } from './list-codec.js';

/** Entries judged between two turns of the event loop. */
const BATCH = 10_000;

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

const INT64_MAX = '9223372036854775807';

/** Decimal digits of a value in [0, 2^63). */
function plainInt64(s: string): boolean {
  return /^[0-9]{1,19}$/.test(s) && (s.length < INT64_MAX.length || s <= INT64_MAX);
}

/** A locator the validator accepts, to judge the other parts of an entry on their own. */
const GOOD_LOCATOR = 'd41d8cd98f00b204e9800998ecf8427e+0';

/**
 * The upload validator's verdict on each entry, cheaply. The validator (parsePullList /
 * parseTrashList, which judge an upload's JSON) is the judge; since it costs a JSON parse per
 * entry, an entry is sent to it only when a quick check has a doubt. The quick check uses the
 * validator's own locator parser (tryParseLocator, with a size hint) per entry, and asks the
 * validator itself once per distinct server list and mount (few, shared by many entries). A
 * trash block_mtime is waved through only when it is plainly a non-negative int64 (the upload
 * reads it as one); anything else goes to the validator.
 */
function entryJudge(kind: ListKind, serverLists: readonly (readonly string[])[]): (item: ListItem) => string | null {
  const parse = kind === 'pull' ? parsePullList : parseTrashList;
  const encode = entryEncoder(kind, serverLists);
  const verdict = (item: ListItem): string | null => {
    try {
      parse(`[${encode(item)}]`);
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
  const quick = ([locator, second, mount]: ListItem): boolean => {
    if (tryParseLocator(locator)?.size == null) return false;
    if (kind === 'pull') {
      return typeof second === 'number' && serverLists[second] !== undefined && partVerdict(`${second}\t${mount}`, [GOOD_LOCATOR, second, mount]) === null;
    }
    return plainInt64(String(second)) && partVerdict(`${mount}`, [GOOD_LOCATOR, '0', mount]) === null;
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
