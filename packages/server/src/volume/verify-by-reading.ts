import { createHash } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import type { StoredCopyState, Volume } from './volume.js';

/**
 * `Volume.verifyStored` for any driver that can read its blocks back: streams the stored copy
 * through MD5 (memory bounded by the read stream's buffer) and compares it with the name.
 */
export async function verifyByReading(volume: Pick<Volume, 'openRead'>, hash: string): Promise<StoredCopyState> {
  let reader;
  try {
    reader = await volume.openRead(hash);
  } catch (err) {
    if (err instanceof NotFoundError) return 'missing';
    throw err;
  }
  const md5 = createHash('md5');
  let bytes = 0;
  for await (const chunk of reader.stream) {
    md5.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return bytes === reader.size && md5.digest('hex') === hash ? 'intact' : 'corrupt';
}
