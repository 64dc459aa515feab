import type { Logger } from '../log/logger.js';
import type { ListKindSpec } from './list-kind-spec.js';
import { itemHash, itemLocator, itemMount, type ListItem, type ListKind } from './list-wire.js';
import type { Route, WorkListHooks } from './work-list.js';

/**
 * The WorkList hooks of a list kind: an entry is identified by block and target mount (the
 * same block pinned to two mounts is two jobs, not a duplicate) plus whatever else makes it a
 * different piece of work (the kind's `identity`: a trash entry's block_mtime, since each
 * entry is judged on its own mtime), and a skipped entry is logged with its reason.
 */
export function itemHooks(log: Logger, spec: ListKindSpec, route: (item: ListItem) => Route): WorkListHooks<ListItem> {
  return {
    keyOf: (item) => `${itemHash(item)}/${itemMount(item) ?? ''}/${spec.identity(item)}`,
    route,
    onSkip: (item, reason) => log.warn(reason, { locator: itemLocator(item), mount: itemMount(item) }),
  };
}

/** Why an entry naming a mount this server cannot use is skipped (the primary and the executors log it). */
export function mountSkipReason(kind: ListKind, why: 'unknown-mount' | 'read-only'): string {
  return `ignoring ${kind} list entry for ${why === 'unknown-mount' ? 'nonexistent' : 'readonly'} mount`;
}
