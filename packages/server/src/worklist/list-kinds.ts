import type { ListKindSpec } from './list-kind-spec.js';
import type { ListKind } from './list-wire.js';
import { PULL_KIND } from './pull-kind.js';
import { TRASH_KIND } from './trash-kind.js';

/** The record of each list kind (see ListKindSpec): every stage looks its kind up here. */
export const LIST_KINDS: { readonly [K in ListKind]: ListKindSpec } = { pull: PULL_KIND, trash: TRASH_KIND };
