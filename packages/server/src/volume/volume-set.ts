import type { Readable } from 'node:stream';
import { MAX_BLOCK_SIZE, rendezvousOrder } from '@keepstore/protocol';
import { FullError, InvalidLocatorError, KeepError, NotFoundError, WriteFailedError } from '../errors.js';
import { freeBytesOrNull } from './free-space.js';
import { placeBlock, placementCandidates, type Placement, type PlacementRefusal } from './placement.js';
import { storeBlock, type StoreResult } from './store-block.js';
import type { BlockStat, Volume, WholeBlock } from './volume.js';

export interface StoreOptions {
  /** Size the block must have (the locator's size hint), or null when unknown. */
  expectedSize: number | null;
  /** Write to this volume only (a pull entry's mount_uuid). */
  only?: string;
  /** Aborts the transfer (e.g. a pull that timed out); the temp file is removed. */
  signal?: AbortSignal;
  /**
   * The caller has just found no copy on any volume this write could compare with (a pull
   * looks before it fetches), so they are not looked at again. A copy stored meanwhile is
   * replaced by these bytes, verified against the same hash.
   */
  noStoredCopy?: boolean;
}

/** Called when a volume fails during a lookup that goes on with the other volumes. */
export type VolumeErrorHandler = (volume: Volume, err: unknown) => void;

/** All volumes of this server, and the decisions that involve more than one of them. */
export class VolumeSet {
  readonly #volumes: readonly Volume[];
  readonly #byUuid: ReadonlyMap<string, Volume>;
  readonly #onError: VolumeErrorHandler;

  constructor(volumes: readonly Volume[], options: { onError?: VolumeErrorHandler } = {}) {
    this.#volumes = [...volumes].sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
    this.#byUuid = new Map(this.#volumes.map((v) => [v.uuid, v]));
    if (this.#byUuid.size !== this.#volumes.length) throw new Error('duplicate volume uuid');
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Volumes in uuid order (the order of `/mounts` and `/index`). */
  get list(): readonly Volume[] {
    return this.#volumes;
  }

  get(uuid: string): Volume | undefined {
    return this.#byUuid.get(uuid);
  }

  /** Volumes in the order to try for `hash` (rendezvous order, see docs/api.md "Volume order"). */
  order(hash: string): Volume[] {
    return rendezvousOrder(hash, this.#volumes);
  }

  /**
   * The first volume in rendezvous order that holds the block. A volume that fails (EACCES,
   * EIO, a vanished disk, an unreachable object store) is reported to onError and skipped, so
   * the others keep serving. When no volume has the block and one of them failed with a
   * KeepError (S3 down: 503), that error is thrown: the block may well be there.
   */
  async locate(hash: string): Promise<{ volume: Volume; stat: BlockStat } | null> {
    return this.#first(hash, async (volume) => {
      const stat = await volume.stat(hash);
      return stat ? { volume, stat } : null;
    });
  }

  /**
   * The block read whole (Volume.readWhole) from the first volume that holds it, with
   * locate()'s rules for failing volumes; null when none has it, or when the first that has it
   * holds another size than `size` (the locator's hint: not this block).
   */
  async readWhole(hash: string, size: number): Promise<{ volume: Volume; block: WholeBlock } | null> {
    const found = await this.#first(hash, async (volume) => {
      const read = await volume.readWhole(hash, size);
      return read === 'absent' ? null : { volume, read };
    });
    if (!found || found.read === 'other-size') return null;
    return { volume: found.volume, block: found.read };
  }

  /** The first non-null `probe` in rendezvous order (see locate for failing volumes). */
  async #first<T>(hash: string, probe: (volume: Volume) => Promise<T | null>): Promise<T | null> {
    let unavailable: KeepError | null = null;
    for (const volume of this.order(hash)) {
      try {
        const found = await probe(volume);
        if (found !== null) return found;
      } catch (err) {
        if (err instanceof InvalidLocatorError) throw err; // same answer on every volume
        if (err instanceof KeepError) unavailable ??= err;
        this.#onError(volume, err);
      }
    }
    if (unavailable) throw unavailable;
    return null;
  }

  /**
   * Where `hash` may be written, best first (placeBlock, with the free space read now): the
   * volume `only` when given, else the writable volumes with room for `size` bytes (+ margin;
   * null: unknown size, the margin only) in rendezvous order. A volume whose free space cannot
   * be read is kept: trying it gives a precise write error instead of a misleading "full".
   */
  async placement(hash: string, size: number | null, only?: string): Promise<Placement<Volume>> {
    const mount = only ?? null;
    const candidates = placementCandidates(this.#volumes, mount);
    const free = new Map(await Promise.all(candidates.map(async (v) => [v.uuid, await freeBytesOrNull(v)] as const)));
    return placeBlock({ volumes: this.#volumes, free: (uuid) => free.get(uuid), hash, size, mount });
  }

  /** The targets of placement(), [] when it refuses. */
  async writeTargets(hash: string, size: number | null, only?: string): Promise<Volume[]> {
    const placed = await this.placement(hash, size, only);
    return 'targets' in placed ? placed.targets : [];
  }

  /**
   * The one write path, for client PUTs and pulls: streams `source` into a temp file on the
   * first write target, verifying MD5 and size as it goes, then touches an identical stored
   * copy or commits the new one. See store-block.ts for the rules and the memory bound.
   */
  async store(hash: string, source: Readable, opts: StoreOptions): Promise<StoreResult> {
    // An unknown size (a chunked PUT) checks the margin only: running out of space mid-write
    // is FullError (507) anyway, and assuming 64 MiB would refuse small blocks on small volumes.
    const placed = await this.placement(hash, opts.expectedSize, opts.only);
    // Nothing has been read yet: the caller still owns `source` (HTTP drains it, pulls drop it).
    if ('refused' in placed) throw refusalError(placed.refused, opts.only);
    const targets = placed.targets;
    const existing = opts.noStoredCopy ? [] : opts.only === undefined ? this.order(hash).filter((v) => !v.readOnly) : targets;
    return storeBlock({ hash, source, targets, existing, ...opts, maxBytes: MAX_BLOCK_SIZE });
  }
}

/** The error a write gets when placement finds no target. */
function refusalError(refused: PlacementRefusal, only: string | undefined): KeepError {
  switch (refused) {
    case 'unknown-mount':
      return new NotFoundError(`no volume ${only}`);
    case 'read-only':
      return new WriteFailedError('volume is read-only');
    case 'full':
      return only === undefined ? new FullError() : new FullError(`volume ${only} is full`);
  }
}
