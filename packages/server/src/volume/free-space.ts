import type { Volume } from './volume.js';

/**
 * The volume's free bytes, or null when unknown: the storage has no such figure, or reading it
 * failed (counted by the metering wrapper). Unknown is never turned into a number here; each
 * caller says what unknown means for it (room for routing, null in /status.json, no gauge series).
 */
export function freeBytesOrNull(volume: Pick<Volume, 'availableBytes'>): Promise<number | null> {
  return volume.availableBytes().catch(() => null);
}
