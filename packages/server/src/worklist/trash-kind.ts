import { parseTrashList, type TrashEntry } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';
import { mountSkipReason } from './item-hooks.js';
import { mountJson, type ListKindSpec } from './list-kind-spec.js';
import { itemBlockMtime, itemLocator, itemMount, type TrashItem } from './list-wire.js';
import type { Route } from './work-list.js';

/**
 * Where a trash entry runs: its mount_uuid only, when given (it must be a trash-allowed,
 * i.e. writable, volume); otherwise every trash-allowed volume (one job each).
 */
export function routeTrash(item: TrashItem, config: KeepstoreConfig): Route {
  const mount = itemMount(item);
  const writable = config.volumes.filter((v) => !v.readOnly);
  if (mount === null) return writable.length ? { volumes: writable.map((v) => v.uuid) } : { skip: 'no trash-allowed volume' };
  if (!config.volumes.some((v) => v.uuid === mount)) return { skip: mountSkipReason('trash', 'unknown-mount') };
  if (!writable.some((v) => v.uuid === mount)) return { skip: mountSkipReason('trash', 'read-only') };
  return { volumes: [mount] };
}

const INT64_MAX = '9223372036854775807';

/** Decimal digits of a value in [0, 2^63). */
function plainInt64(s: string): boolean {
  return /^[0-9]{1,19}$/.test(s) && (s.length < INT64_MAX.length || s <= INT64_MAX);
}

/** The trash list (docs/api.md "The trash list"): items are [locator, block_mtime, mount]. */
export const TRASH_KIND: ListKindSpec<TrashEntry, TrashItem> = {
  kind: 'trash',
  parse: parseTrashList,
  logEntry: (entry) => ({ ...entry, blockMtime: entry.blockMtime.toString() }),
  toItem: (entry) => [`${entry.hash}+${entry.size}`, entry.blockMtime.toString(), entry.mountUuid],
  fromStored: (locator, field, mount) => [locator, field, mount],
  brokenItem: (line) => [line, '', null],
  // Two entries for one block with different block_mtime are two jobs: each is judged on its
  // own mtime (one identical to an entry in flight still waits for it).
  identity: itemBlockMtime,
  // An all-digits block_mtime is a bare JSON number (the validator reads its digits exactly);
  // anything else a string, which the validator refuses by name.
  uploadJson: (item) => {
    const mtime = String(itemBlockMtime(item));
    const json = /^[0-9]+$/.test(mtime) ? mtime : JSON.stringify(mtime);
    return `{"locator":${JSON.stringify(itemLocator(item))},"block_mtime":${json},"mount_uuid":${mountJson(itemMount(item))}}`;
  },
  // A block_mtime is waved through only when it is plainly a non-negative int64 (the upload
  // reads it as one); anything else goes to the validator.
  quickProbe: (item, _serverLists, locator) =>
    plainInt64(String(itemBlockMtime(item))) ? { key: `${itemMount(item)}`, probe: [locator, '0', itemMount(item)] } : null,
  route: (item, config) => routeTrash(item, config),
  toJob: (item, volume) => ({ kind: 'trash', locator: itemLocator(item), blockMtime: itemBlockMtime(item), volume }),
  concurrency: (limits) => limits.trashConcurrency,
  enabled: (config) => config.blobTrash,
};
