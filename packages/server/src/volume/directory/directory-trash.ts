import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../errors.js';
import { blockDirEntries, entryNames } from './block-dirs.js';
import { isMissing } from './fs-errors.js';
import { blockDir, blockPath, parseTrashName, trashName } from './layout.js';
import type { BlockStat, TrashEntry, TrashGuard } from '../volume.js';

/**
 * Trash primitives of a directory volume (Arvados layout: `HASH.trash.DEADLINE` next to the
 * block). Policy (TTL, mtime match, who may trash) lives with the trash worker, not here.
 * Errors other than "not there" are raw fs errors; the volume maps them.
 */

async function statCopy(p: string): Promise<BlockStat> {
  const st = await fs.stat(p, { bigint: true });
  return { size: Number(st.size), mtimeNs: st.mtimeNs };
}

/**
 * Trashes the block only if `guard` accepts it, checked on the very inode that was moved. A
 * PUT may touch the block (new mtime) between a plain stat and the rename; so the guard runs
 * first on the block (a refusal costs no rename) and again on the trash copy after the
 * rename. Once renamed nothing can touch that inode (touch goes by path), so the second check
 * is final; if it refuses, the copy is renamed back (same hash, same bytes: at worst it
 * replaces a copy a PUT committed meanwhile). Every step is an atomic rename in one
 * directory: a crash leaves the block in place or in trash. Lifetime 0 deletes the trash copy
 * at the end (a crash before that leaves it in trash, expired, for the next sweep).
 * Returns null when trashed, else the guard's reason; NotFoundError if the block is absent.
 */
export async function trashBlockIf(
  root: string,
  hash: string,
  guard: TrashGuard,
  lifetimeSeconds: number,
  nowSeconds: number,
): Promise<string | null> {
  const p = blockPath(root, hash);
  const trashPath = path.join(path.dirname(p), trashName(hash, Math.floor(nowSeconds + Math.max(0, lifetimeSeconds))));
  try {
    const before = guard(await statCopy(p));
    if (before !== null) return before;
    await fs.rename(p, trashPath);
  } catch (err) {
    if (isMissing(err)) throw new NotFoundError();
    throw err;
  }
  let moved: BlockStat;
  try {
    moved = await statCopy(trashPath);
  } catch (err) {
    // Only an expired copy (lifetime 0) can be swept this fast: it is deleted, as asked.
    if (isMissing(err)) return null;
    throw err;
  }
  const after = guard(moved);
  if (after !== null) {
    await fs.rename(trashPath, p);
    return `${after} (changed while being trashed)`;
  }
  if (lifetimeSeconds <= 0)
    await fs.unlink(trashPath).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  return null;
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

/** Deletes every trash copy whose deadline is <= `nowSeconds`, yielding each as it goes. */
export async function* emptyTrash(root: string, nowSeconds: number): AsyncGenerator<TrashEntry> {
  for await (const [dirPath, name] of blockDirEntries(root, '')) {
    const t = parseTrashName(name);
    if (!t || t.deadline > nowSeconds) continue;
    try {
      await fs.unlink(path.join(dirPath, name));
    } catch (err) {
      if (isMissing(err)) continue; // another worker's sweep got there first
      throw err;
    }
    yield t;
  }
}
