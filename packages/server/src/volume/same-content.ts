import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Bytes read from each file per step: memory use is twice this, whatever the file size. */
export const COMPARE_CHUNK = 256 * 1024; // 256 KiB

/**
 * True if two open files hold the same bytes. Sizes are compared first (fstat), then the
 * contents chunk by chunk, stopping at the first difference.
 */
export async function sameFileContent(a: FileHandle, b: FileHandle): Promise<boolean> {
  const [sa, sb] = await Promise.all([a.stat(), b.stat()]);
  if (sa.size !== sb.size) return false;
  const bufA = Buffer.allocUnsafe(COMPARE_CHUNK);
  const bufB = Buffer.allocUnsafe(COMPARE_CHUNK);
  for (let position = 0; position < sa.size; ) {
    const want = Math.min(COMPARE_CHUNK, sa.size - position);
    const [na, nb] = await Promise.all([
      readFully(a, bufA, want, position),
      readFully(b, bufB, want, position),
    ]);
    if (na !== nb || bufA.compare(bufB, 0, nb, 0, na) !== 0) return false;
    if (na < want) return true; // both ended early (file shrank): equal so far
    position += na;
  }
  return true;
}

/** Reads `length` bytes at `position` unless the file ends first; returns the count read. */
async function readFully(
  fh: FileHandle,
  buf: Buffer,
  length: number,
  position: number,
): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Opens `path` read-only, runs `fn`, always closes. */
export async function withFile<T>(path: string, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
  const fh = await fs.open(path, 'r');
  try {
    return await fn(fh);
  } finally {
    await fh.close();
  }
}
