import { rendezvousOrder } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';
import type { WorkersView as WorkerPool } from '../ipc/workers.js';
import type { Logger } from '../log/logger.js';
import { Dispatcher } from './dispatcher.js';
import { itemHooks } from './item-hooks.js';
import type { PullItem } from './list-wire.js';
import type { Route } from './work-list.js';
import type { VolumeSpace } from './volume-space.js';

/** A pull list as the primary holds it: compact items plus the interned server lists. */
export interface PullList {
  items: PullItem[];
  serverLists: string[][];
}

const sizeOf = (locator: string): number => Number(locator.slice(33));

/**
 * Where a pull entry goes (README "Pull lists", Ordering and dispatch): its mount_uuid when given (unknown or read-only mounts
 * are logged and skipped), else the first writable volume with room in the block's
 * rendezvous order.
 */
export function routePull(item: PullItem, config: KeepstoreConfig, space: VolumeSpace): Route {
  const [locator, , mount] = item;
  if (mount !== null) {
    const volume = config.volumes.find((v) => v.uuid === mount);
    if (!volume) return { skip: 'ignoring pull list entry for nonexistent mount' };
    if (volume.readOnly) return { skip: 'ignoring pull list entry for readonly mount' };
    return { volumes: [mount] };
  }
  const size = sizeOf(locator);
  const writable = config.volumes.filter((v) => !v.readOnly);
  const target = rendezvousOrder(locator.slice(0, 32), writable).find((v) => space.hasRoom(v.uuid, size));
  return target ? { volumes: [target.uuid] } : { skip: 'no writable volume with room for pulled block' };
}

/** The primary's pull-list machinery: the generic dispatcher with pull routing and jobs. */
export class PullDispatcher extends Dispatcher<PullItem> {
  private serverLists: string[][] = [];

  constructor(pool: WorkerPool, space: VolumeSpace, log: Logger) {
    super(
      pool,
      {
        kind: 'pull',
        concurrency: () => pool.currentConfig.pullConcurrency,
        hooks: itemHooks<PullItem>(log, (item) => routePull(item, pool.currentConfig, space)),
        toJob: (job) => ({
          kind: 'pull',
          locator: job.entry[0],
          servers: this.serverLists[job.entry[1]] ?? [],
          volume: job.volume,
          pinned: job.entry[2] !== null,
        }),
      },
      log,
    );
  }

  setList(list: PullList): void {
    this.serverLists = list.serverLists;
    this.replace(list.items);
  }
}
