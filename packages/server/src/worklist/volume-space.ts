import type { ResolvedVolume } from '../volume/volume-config.js';
import { volumesOf } from '../volume/create-volume.js';
import { freeBytesOrNull } from '../volume/free-space.js';
import type { FreeSpaceView } from '../volume/placement.js';

const REFRESH_MS = 5_000;

/**
 * The primary's cached view of free space per volume, refreshed in the background so that
 * routing a pull entry (which needs "the first writable volume with room") does no I/O.
 * Unknown free space (statfs failed, or a storage that has no such figure) counts as room
 * (see placeBlock).
 */
export class VolumeSpace {
  private readonly free = new Map<string, number | null>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private volumes: readonly ResolvedVolume[]) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  setVolumes(volumes: readonly ResolvedVolume[]): void {
    this.volumes = volumes;
    void this.refresh();
  }

  /** Free bytes of `uuid` as last read (null or undefined: unknown). A FreeSpaceView for placeBlock. */
  readonly freeBytes: FreeSpaceView = (uuid) => this.free.get(uuid);

  private async refresh(): Promise<void> {
    await Promise.all(volumesOf(this.volumes).map(async (v) => this.free.set(v.uuid, await freeBytesOrNull(v))));
  }
}
