import type { ListName, ServerFailure } from '../list-progress.js';
import type { ListEntries } from './work-list.js';

/**
 * The one compact form of a validated list entry, in the upload batches to the primary, to
 * Redis and back: an entry is a tuple (read it through the accessors below, never by index)
 * and pull server lists (few distinct ones, shared by many entries) are interned once per
 * list, by the worker that parsed it. The primary stores a list's items in columns
 * (compact-list.ts) and builds each tuple when it is read.
 */

/** [locator "HASH+SIZE", index into the list's serverLists, target mount or null] */
export type PullItem = [locator: string, serverList: number, mount: string | null];

/** [locator "HASH+SIZE", block_mtime in ns as a decimal string (BigInt-safe), mount or null] */
export type TrashItem = [locator: string, blockMtime: string, mount: string | null];

/** The two lists (one union with the HTTP side's name for them). */
export type ListKind = ListName;

export type ListItem = PullItem | TrashItem;

/** The hash of a `HASH+SIZE` locator, as items and jobs carry it (validated on upload). */
export const locatorHash = (locator: string): string => locator.slice(0, 32);
/** The size of a `HASH+SIZE` locator. */
export const locatorSize = (locator: string): number => Number(locator.slice(33));

/** The locator of an entry: always `HASH+SIZE` (the primary keeps no hints). */
export const itemLocator = (item: ListItem): string => item[0];
export const itemHash = (item: ListItem): string => locatorHash(item[0]);
export const itemSize = (item: ListItem): number => locatorSize(item[0]);
/** The mount the entry is pinned to (mount_uuid), or null. */
export const itemMount = (item: ListItem): string | null => item[2];
/** The field of the entry's kind (a pull's server-list index, a trash entry's block_mtime), e.g. to store it as text. */
export const itemKindField = (item: ListItem): number | string => item[1];
/** A pull entry's index into its list's serverLists. */
export const itemServerList = (item: PullItem): number => item[1];
/** A trash entry's block_mtime (ns, decimal). */
export const itemBlockMtime = (item: TrashItem): string => item[1];

/**
 * A whole list, as the primary installs it, persists it and resumes it. `items` are read
 * through ListEntries (the primary holds a CompactList, not an array of items);
 * `serverLists` are the interned server lists of a pull list (empty for trash).
 */
export interface ListSnapshot {
  kind: ListKind;
  items: ListEntries<ListItem>;
  serverLists: readonly (readonly string[])[];
  /** When the list was accepted (ms since the epoch). */
  acceptedAt: number;
}

/**
 * One batch of a list upload from the worker that received PUT /pull or PUT /trash: the next
 * items of the snapshot, and the server lists first interned in this batch (appended to those
 * of the earlier batches: item indexes are list-wide).
 */
export type ListBatch = Pick<ListSnapshot, 'kind' | 'serverLists'> & { items: readonly ListItem[] };

/** A unit of work the primary hands a worker: one entry on one of the worker's volumes. */
export type JobSpec =
  /** `pinned`: mount_uuid named the volume, so a full volume must not fall back to another. */
  | { kind: 'pull'; locator: string; servers: string[]; volume: string; pinned: boolean }
  | { kind: 'trash'; locator: string; blockMtime: string; volume: string };

/**
 * What a worker reports for every job it was given: how it ended. `cancelled`: its entry left
 * the list before the job was through (a replace or clear): neither done nor failed, like the entries of that list never started. `servers`: a
 * pull that failed on every server, each one's reason (the recent-failures table shows them).
 */
export type JobOutcome =
  | { ok: true; detail?: Record<string, string | number | boolean> }
  | { ok: false; error: string; cancelled?: true; servers?: ServerFailure[] };
