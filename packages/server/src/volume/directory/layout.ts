import path from 'node:path';
import { InvalidLocatorError } from '../../errors.js';

/**
 * On-disk layout of a directory volume (same as Arvados' UnixVolume, so an existing Keep
 * directory can be served as is):
 * - block:  `ROOT/HASH[0:3]/HASH`
 * - trash:  `ROOT/HASH[0:3]/HASH.trash.DEADLINE` (DEADLINE in unix seconds)
 * - temp:   `ROOT/HASH[0:3]/tmpHASH-RANDOM`, in the same directory so rename is atomic.
 */

export const BLOCK_NAME_RE = /^[0-9a-f]{32}$/;
export const BLOCK_DIR_RE = /^[0-9a-f]{3}$/;
/** Ours are `tmpHASH-RANDOM`; Arvados' are `tmpHASHDIGITS`: both match. */
export const TEMP_NAME_RE = /^tmp[0-9a-f]{32}/;
const TRASH_NAME_RE = /^([0-9a-f]{32})\.trash\.(\d+)$/;
const PREFIX_RE = /^[0-9a-f]{0,32}$/;

/** Throws InvalidLocatorError unless `hash` is 32 lowercase hex digits (no path tricks). */
export function assertHash(hash: string): void {
  if (!BLOCK_NAME_RE.test(hash)) throw new InvalidLocatorError();
}

/** Throws InvalidLocatorError unless `prefix` is at most 32 lowercase hex digits. */
export function assertPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) throw new InvalidLocatorError('invalid prefix');
}

export function blockDir(root: string, hash: string): string {
  return path.join(root, hash.slice(0, 3));
}

export function blockPath(root: string, hash: string): string {
  return path.join(root, hash.slice(0, 3), hash);
}

export function trashName(hash: string, deadline: number): string {
  return `${hash}.trash.${deadline}`;
}

/** Parses `HASH.trash.DEADLINE`; null for any other name. */
export function parseTrashName(name: string): { hash: string; deadline: number } | null {
  const m = TRASH_NAME_RE.exec(name);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const deadline = Number(m[2]);
  return Number.isSafeInteger(deadline) ? { hash: m[1], deadline } : null;
}

/** True if the block directory `dir` (3 hex digits) can hold blocks starting with `prefix`. */
export function dirMatchesPrefix(dir: string, prefix: string): boolean {
  return prefix.length >= 3 ? dir === prefix.slice(0, 3) : dir.startsWith(prefix);
}
