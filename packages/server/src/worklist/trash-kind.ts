import type { KeepstoreConfig } from '../config/config.js';
import type { WorkersView as WorkerPool } from '../ipc/workers.js';
import type { Logger } from '../log/logger.js';
import { Dispatcher } from './dispatcher.js';
import { itemHooks } from './item-hooks.js';
import type { TrashItem } from './list-wire.js';
import type { Route } from './work-list.js';

/**
 * Where a trash entry runs: its mount_uuid only, when given (it must be a trash-allowed,
 * i.e. writable, volume); otherwise every trash-allowed volume (one job each).
 */
export function routeTrash(item: TrashItem, config: KeepstoreConfig): Route {
  const mount = item[2];
  const writable = config.volumes.filter((v) => !v.readOnly);
  if (mount === null) return writable.length ? { volumes: writable.map((v) => v.uuid) } : { skip: 'no trash-allowed volume' };
  if (!config.volumes.some((v) => v.uuid === mount)) return { skip: 'ignoring trash list entry for nonexistent mount' };
  if (!writable.some((v) => v.uuid === mount)) return { skip: 'ignoring trash list entry for readonly mount' };
  return { volumes: [mount] };
}

/** The primary's trash-list machinery: the same dispatcher as pulls, with trash routing and jobs. */
export class TrashDispatcher extends Dispatcher<TrashItem> {
  constructor(pool: WorkerPool, log: Logger) {
    super(
      pool,
      {
        kind: 'trash',
        concurrency: () => pool.currentConfig.trashConcurrency,
        // Two entries for one block with different block_mtime are two jobs: each is judged on
        // its own mtime (one identical to an entry in flight still waits for it).
        hooks: itemHooks<TrashItem>(log, (item) => routeTrash(item, pool.currentConfig), (item) => item[1]),
        toJob: (job) => ({ kind: 'trash', locator: job.entry[0], blockMtime: job.entry[1], volume: job.volume }),
      },
      log,
    );
    this.setEnabled(pool.currentConfig.blobTrash);
  }
}
