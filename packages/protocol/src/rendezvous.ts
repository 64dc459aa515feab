import { createHash } from 'node:crypto';

/** What rendezvous ordering needs to know about a volume. */
export interface RendezvousVolume {
  /** The volume (mount) uuid, e.g. `zzzzz-nyw5e-000000000000001`. */
  uuid: string;
  /** Storage-class priority: higher is tried first. */
  priority: number;
}

/**
 * The order in which to try volumes for a block (docs/api.md "Volume order"): highest
 * priority first, then by `md5(hash + uuid[12:])` as lowercase hex, ascending. Every server
 * computes the same order, so a block lands on, and is looked for on, the same volume.
 * Returns a new array; `volumes` is not modified.
 */
export function rendezvousOrder<T extends RendezvousVolume>(hash: string, volumes: readonly T[]): T[] {
  // Hash each volume once, not once per comparison.
  const keyed = volumes.map((volume) => ({
    volume,
    weight: createHash('md5')
      .update(hash + volume.uuid.slice(12))
      .digest('hex'),
  }));
  keyed.sort(
    (a, b) =>
      b.volume.priority - a.volume.priority ||
      compareStrings(a.weight, b.weight) ||
      // Equal weights only happen for uuids sharing a suffix; keep the result deterministic.
      compareStrings(a.volume.uuid, b.volume.uuid),
  );
  return keyed.map((k) => k.volume);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
