import fs from 'node:fs/promises';
import path from 'node:path';
import { BLOCK_DIR_RE, dirMatchesPrefix } from './layout.js';
import { isMissing } from './fs-errors.js';

/**
 * Streaming walks over a volume's `HASH[0:3]` directories. Everything here reads directories
 * with opendir (a few dozen entries buffered at a time), so memory does not grow with the
 * number of blocks on the volume.
 */

/**
 * Names of the block directories under `root` that can hold hashes starting with `prefix`.
 * With 3 or more prefix digits only that one directory is visited and the root is not read.
 * Throws if the root itself cannot be read.
 */
export async function* blockDirNames(root: string, prefix: string): AsyncGenerator<string> {
  if (prefix.length >= 3) {
    yield prefix.slice(0, 3);
    return;
  }
  const dir = await fs.opendir(root);
  for await (const ent of dir) {
    if (BLOCK_DIR_RE.test(ent.name) && dirMatchesPrefix(ent.name, prefix)) yield ent.name;
  }
}

/** Entry names of one directory; none when it does not exist (or is not a directory). */
export async function* entryNames(dirPath: string): AsyncGenerator<string> {
  let dir;
  try {
    dir = await fs.opendir(dirPath);
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for await (const ent of dir) yield ent.name;
}

/** `[dirPath, name]` of every entry in the block directories matching `prefix`. */
export async function* blockDirEntries(root: string, prefix: string): AsyncGenerator<[dirPath: string, name: string]> {
  for await (const dirName of blockDirNames(root, prefix)) {
    const dirPath = path.join(root, dirName);
    for await (const name of entryNames(dirPath)) yield [dirPath, name];
  }
}
