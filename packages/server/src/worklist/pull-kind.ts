import { parsePullList, type PullEntry } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';
import { placeBlock } from '../volume/placement.js';
import { mountSkipReason } from './item-hooks.js';
import { mountJson, type ListKindSpec } from './list-kind-spec.js';
import { itemHash, itemLocator, itemMount, itemServerList, itemSize, type PullItem } from './list-wire.js';
import type { Route } from './work-list.js';
import type { VolumeSpace } from './volume-space.js';

/**
 * Where a pull entry goes (README "Pull lists", Ordering and dispatch): placeBlock over the configured volumes and the cached
 * free space, i.e. its mount_uuid when given (unknown or read-only mounts are logged and
 * skipped), else the first writable volume with room in the block's rendezvous order. A
 * pinned mount that looks full is still routed: the executor then reports the write error
 * against that mount (it never falls back from a pinned mount).
 */
export function routePull(item: PullItem, config: KeepstoreConfig, space: VolumeSpace): Route {
  const mount = itemMount(item);
  const placed = placeBlock({ volumes: config.volumes, free: space.freeBytes, hash: itemHash(item), size: itemSize(item), mount });
  if ('targets' in placed) return { volumes: [placed.targets[0]!.uuid] };
  if (placed.refused !== 'full') return { skip: mountSkipReason('pull', placed.refused) };
  return mount !== null ? { volumes: [mount] } : { skip: 'no writable volume with room for pulled block' };
}

/** The pull list (docs/api.md "The pull list"): items are [locator, server-list index, mount]. */
export const PULL_KIND: ListKindSpec<PullEntry, PullItem> = {
  kind: 'pull',
  parse: parsePullList,
  logEntry: (entry) => entry,
  toItem: (entry, intern) => [`${entry.hash}+${entry.size}`, intern(entry.servers), entry.mountUuid],
  fromStored: (locator, field, mount) => [locator, Number(field), mount],
  brokenItem: (line) => [line, -1, null],
  identity: () => '',
  uploadJson: (item, serversJson) =>
    `{"locator":${JSON.stringify(itemLocator(item))},"servers":${serversJson[itemServerList(item)] ?? 'null'},"mount_uuid":${mountJson(itemMount(item))}}`,
  quickProbe: (item, serverLists, locator) => {
    const servers = itemServerList(item);
    if (typeof servers !== 'number' || serverLists[servers] === undefined) return null;
    return { key: `${servers}\t${itemMount(item)}`, probe: [locator, servers, itemMount(item)] };
  },
  route: routePull,
  toJob: (item, volume, serverLists) => ({
    kind: 'pull',
    locator: itemLocator(item),
    servers: [...(serverLists[itemServerList(item)] ?? [])],
    volume,
    pinned: itemMount(item) !== null,
  }),
  concurrency: (limits) => limits.pullConcurrency,
  enabled: () => true,
};
