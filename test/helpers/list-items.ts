/** A list's entries as a plain array of items, to compare whole (the primary holds a CompactList). */
import type { ListItem } from '../../packages/server/src/worklist/list-wire.ts';
import type { ListEntries } from '../../packages/server/src/worklist/work-list.ts';

export function itemsOf(entries: ListEntries<ListItem>): ListItem[] {
  return Array.from({ length: entries.length }, (_, i) => entries.at(i)!);
}
