/**
 * The compact forms in which list entries cross IPC and live in the primary. A million-entry
 * list must stay lean there, so an entry is a tuple and pull server lists (few distinct ones,
 * shared by many entries) are interned per list.
 */

/** [locator "HASH+SIZE", index into the list's serverLists, target mount or null] */
export type PullItem = [locator: string, serverList: number, mount: string | null];

/** [locator "HASH+SIZE", block_mtime in ns as a decimal string (BigInt-safe), mount or null] */
export type TrashItem = [locator: string, blockMtime: string, mount: string | null];

export type ListKind = 'pull' | 'trash';

/** One batch of a list upload from the worker that received PUT /pull or PUT /trash. */
export type ListBatch =
  | { kind: 'pull'; serverLists: string[][]; items: PullItem[] }
  | { kind: 'trash'; items: TrashItem[] };

/** A unit of work the primary hands a worker: one entry on one of the worker's volumes. */
export type JobSpec =
  /** `pinned`: mount_uuid named the volume, so a full volume must not fall back to another. */
  | { kind: 'pull'; locator: string; servers: string[]; volume: string; pinned: boolean }
  | { kind: 'trash'; locator: string; blockMtime: string; volume: string };

/** What a worker reports for every job it was given. */
export type JobOutcome =
  | { ok: true; detail?: Record<string, string | number | boolean> }
  | { ok: false; error: string };
