import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../errors.js';
import { blockDirEntries, entryNames } from './block-dirs.js';
import { isMissing } from './fs-errors.js';
import { blockDir, blockPath, parseTrashName, trashName } from './layout.js';
import type { TrashEntry } from './types.js';

/**
 * Trash primitives of a directory volume (Arvados layout: `HASH.trash.DEADLINE` next to the
 * block). Policy (TTL, mtime match, who may trash) lives with the trash worker, not here.
 * Errors other than "not there" are raw fs errors; the volume maps them.
 */

/** Renames the block to its trash name, or unlinks it when `lifetimeSeconds` is 0. */
export async function trashBlock(
  root: string,
  hash: string,
  lifetimeSeconds: number,
  nowSeconds: number,
): Promise<void> {
  const p = blockPath(root, hash);
  try {
    if (lifetimeSeconds <= 0) {
      await fs.unlink(p);
      return;
    }
    const deadline = Math.floor(nowSeconds + lifetimeSeconds);
    await fs.rename(p, path.join(path.dirname(p), trashName(hash, deadline)));
  } catch (err) {
    if (isMissing(err)) throw new NotFoundError();
    throw err;
  }
}

/**
 * Restores the trash copy with the latest deadline under the block's name. Like Arvados, a
 * block already stored under that name is replaced (same hash, same content); it fails
 * only when there is no trash copy at all.
 */
export async function untrashBlock(root: string, hash: string): Promise<void> {
  const dir = blockDir(root, hash);
  const deadlines: number[] = [];
  for await (const name of entryNames(dir)) {
    const t = parseTrashName(name);
    if (t && t.hash === hash) deadlines.push(t.deadline);
  }
  deadlines.sort((a, b) => b - a);
  for (const deadline of deadlines) {
    try {
      await fs.rename(path.join(dir, trashName(hash, deadline)), blockPath(root, hash));
      return;
    } catch (err) {
      // Emptied by a concurrent sweep: try the next older copy.
      if (!isMissing(err)) throw err;
    }
  }
  throw new NotFoundError();
}

/** Deletes every trash copy whose deadline is <= `nowSeconds`; returns what it deleted. */
export async function emptyTrash(root: string, nowSeconds: number): Promise<TrashEntry[]> {
  const deleted: TrashEntry[] = [];
  for await (const [dirPath, name] of blockDirEntries(root, '')) {
    const t = parseTrashName(name);
    if (!t || t.deadline > nowSeconds) continue;
    try {
      await fs.unlink(path.join(dirPath, name));
      deleted.push(t);
    } catch (err) {
      if (!isMissing(err)) throw err; // another worker's sweep got there first
    }
  }
  return deleted;
}
