import { rendezvousOrder } from '@keepstore/protocol';

/** Free space a write target must have beyond the block itself (directory entries, fs slack). */
export const FREE_SPACE_MARGIN = 1024 * 1024; // 1 MiB

/** What placement needs to know about a volume (a Volume and a configured volume both fit). */
export interface PlacementVolume {
  readonly uuid: string;
  readonly priority: number;
  readonly readOnly: boolean;
}

/**
 * Free bytes of a volume as last seen: a number, or null/undefined when unknown (an object
 * store has no such figure, statfs failed, or it was not read yet). Unknown counts as room, as
 * in Arvados: a broken volume then fails the write visibly instead of looking full.
 */
export type FreeSpaceView = (uuid: string) => number | null | undefined;

/** A view that knows no free space: placement then orders and filters without judging room. */
export const UNKNOWN_FREE_SPACE: FreeSpaceView = () => null;

export interface PlacementRequest<V extends PlacementVolume> {
  volumes: readonly V[];
  free: FreeSpaceView;
  /** The block's hash (32 hex digits): the key of rendezvous order. */
  hash: string;
  /** The block's size when known (a size hint, a Content-Length), else null. */
  size: number | null;
  /** The volume the block must land on (a pull entry's mount_uuid, a PUT's `only`), or null. */
  mount: string | null;
}

/** Why no volume can take the block. */
export type PlacementRefusal = 'unknown-mount' | 'read-only' | 'full';

export type Placement<V> = { targets: V[] } | { refused: PlacementRefusal };

/** Is `free` bytes room for a block of `size` (null: unknown size, the margin only)? */
function hasRoom(free: number | null | undefined, size: number | null): boolean {
  return free === null || free === undefined || free >= (size ?? 0) + FREE_SPACE_MARGIN;
}

/**
 * Where a block may be written, best first (docs/api.md "Volume order"): the pinned mount
 * alone when one is named (refused when unknown, read-only or full), else every writable volume
 * with room, in the block's rendezvous order. Pure: the caller supplies the free-space view
 * (the primary's cached one, a fresh read, or UNKNOWN_FREE_SPACE).
 */
export function placeBlock<V extends PlacementVolume>(req: PlacementRequest<V>): Placement<V> {
  if (req.mount !== null) {
    const pinned = req.volumes.find((v) => v.uuid === req.mount);
    if (!pinned) return { refused: 'unknown-mount' };
    if (pinned.readOnly) return { refused: 'read-only' };
    return hasRoom(req.free(pinned.uuid), req.size) ? { targets: [pinned] } : { refused: 'full' };
  }
  const writable = req.volumes.filter((v) => !v.readOnly);
  const targets = rendezvousOrder(req.hash, writable).filter((v) => hasRoom(req.free(v.uuid), req.size));
  return targets.length > 0 ? { targets } : { refused: 'full' };
}

/** The volumes placeBlock would weigh for `mount` (every writable one when null): whose free space matters. */
export function placementCandidates<V extends PlacementVolume>(volumes: readonly V[], mount: string | null): V[] {
  return volumes.filter((v) => !v.readOnly && (mount === null || v.uuid === mount));
}
