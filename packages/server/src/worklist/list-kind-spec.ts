import type { KeepstoreConfig } from '../config/config.js';
import type { Limits } from '../config/limits.js';
import type { JobSpec, ListItem, ListKind } from './list-wire.js';
import type { VolumeSpace } from './volume-space.js';
import type { Route } from './work-list.js';

/**
 * Everything that differs between the pull and the trash list, one record per kind; the
 * stages (upload, primary, Redis, worker) are written once against this and never test
 * `kind` themselves. `E` is the validated entry of a PUT body, `I` its compact item.
 * Methods (not function properties) so that a kind's record serves as the general one.
 */
export interface ListKindSpec<E = unknown, I extends ListItem = ListItem> {
  readonly kind: ListKind;
  /** The PUT body's validator: throws a ListValidationError naming the first wrong entry. */
  parse(body: string): E[];
  /** An entry as the debug log line `KIND list entries` shows it (JSON-safe). */
  logEntry(entry: E): unknown;
  /** The compact item of an entry; `intern` gives the list-wide index of a server list. */
  toItem(entry: E, intern: (servers: readonly string[]) => number): I;
  /** An item from the fields of a Redis chunk line (the kind's own field as text: see itemKindField). */
  fromStored(locator: string, field: string, mount: string | null): I;
  /** What a stored line without its fields reads as: an item the resume validation refuses. */
  brokenItem(line: string): I;
  /** What besides block and mount makes two entries different work (see itemHooks). */
  identity(item: I): string;
  /**
   * Resume validation: the item as the JSON object an upload would have carried (the
   * upload's validator judges it), given each server list serialized once.
   */
  uploadJson(item: I, serversJson: readonly string[]): string;
  /**
   * Resume validation's quick path: null when the kind's own field needs the full validator;
   * else a key for the rest of the item (mount, server list: few, shared) and an item that
   * has only that rest to judge (`locator` a known good one).
   */
  quickProbe(item: I, serverLists: readonly (readonly string[])[], locator: string): { key: string; probe: I } | null;
  /** Where the entry runs on this server (primary, lazily, at dispatch). */
  route(item: I, config: KeepstoreConfig, space: VolumeSpace): Route;
  /** The job a worker runs for the item on `volume`. */
  toJob(item: I, volume: string, serverLists: readonly (readonly string[])[]): JobSpec;
  /** Jobs in flight per worker (read on each pump, so a live change or a reload applies). */
  concurrency(limits: Limits): number;
  /** Are jobs handed out at all (a trash list is kept but not run while blobTrash is off)? */
  enabled(config: KeepstoreConfig): boolean;
}

/** A mount as the JSON field `mount_uuid` of an upload (for ListKindSpec.uploadJson). */
export function mountJson(mount: string | null): string {
  return mount === null ? 'null' : JSON.stringify(mount);
}
