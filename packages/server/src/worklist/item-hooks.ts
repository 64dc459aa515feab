import type { Logger } from '../log/logger.js';
import type { PullItem, TrashItem } from './list-wire.js';
import type { Route, WorkListHooks } from './work-list.js';

/**
 * The WorkList hooks both list kinds share (their items are `[locator, ..., mount]`): an entry
 * is identified by block and target mount (the same block pinned to two mounts is two jobs,
 * not a duplicate) plus whatever else makes it a different piece of work (`identity`: a trash
 * entry's block_mtime, since each entry is judged on its own mtime), and a skipped entry is
 * logged with its reason.
 */
export function itemHooks<I extends PullItem | TrashItem>(log: Logger, route: (item: I) => Route, identity: (item: I) => string = () => ''): WorkListHooks<I> {
  return {
    keyOf: (item) => `${item[0].slice(0, 32)}/${item[2] ?? ''}/${identity(item)}`,
    route,
    onSkip: (item, reason) => log.warn(reason, { locator: item[0], mount: item[2] }),
  };
}
