import { NotFoundError } from '../errors.js';
import { type Volume, WHOLE_READ_MAX_BYTES, type WholeBlock } from './volume.js';

/** RangeError unless `size` is a size readWhole may hold in memory. */
export function assertWholeReadSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > WHOLE_READ_MAX_BYTES) {
    throw new RangeError(`readWhole size must be 0..${WHOLE_READ_MAX_BYTES}, got ${size}`);
  }
}

/**
 * `Volume.readWhole` for a driver without a cheaper way: stat, then the read stream collected
 * into one buffer (stopped at the first byte past `size`). A stream that ends short is returned
 * as it is: the caller's check finds the copy corrupt, as with a streamed read.
 */
export async function readWholeViaStream(
  volume: Pick<Volume, 'stat' | 'openRead'>,
  hash: string,
  size: number,
): Promise<WholeBlock | 'absent' | 'other-size'> {
  assertWholeReadSize(size);
  const stat = await volume.stat(hash);
  if (!stat) return 'absent';
  if (stat.size !== size) return 'other-size';
  let reader;
  try {
    reader = await volume.openRead(hash);
  } catch (err) {
    if (err instanceof NotFoundError) return 'absent'; // trashed since the stat
    throw err;
  }
  const { stream, mtimeNs } = reader;
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > size) {
      stream.destroy();
      return 'other-size';
    }
    chunks.push(chunk as Buffer);
  }
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  return { data, mtimeNs: () => Promise.resolve(mtimeNs), release: () => Promise.resolve() };
}
