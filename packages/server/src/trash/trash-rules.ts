/**
 * A stored copy may be trashed only once it is older than blobSigningTTL: until then a client
 * may hold a valid signed locator for it (Arvados keepstore's rule). Strict: a copy exactly
 * blobSigningTTL old is still protected. All in nanoseconds (BigInt), like the stored mtime.
 */
export function isOldEnoughToTrash(mtimeNs: bigint, nowMs: number, blobSigningTTLMs: number): boolean {
  const cutoffNs = (BigInt(Math.floor(nowMs)) - BigInt(Math.floor(blobSigningTTLMs))) * 1_000_000n;
  return mtimeNs < cutoffNs;
}

/** Why a trash-list entry leaves a copy alone (log message suffixes, stable for grep). */
export const TRASH_SKIP = {
  mtimeMismatch: 'block mtime does not match',
  tooYoung: 'block is newer than blobSigningTTL',
  notFound: 'block not found on volume',
  readOnly: 'ignoring trash list entry for readonly mount',
  noMount: 'ignoring trash list entry for nonexistent mount',
} as const;

/**
 * The trash policy for one stored copy, as a pure decision: null to trash it, else the reason
 * to keep it. `expectedMtimeNs` is the trash list's block_mtime (null for DELETE, which trashes
 * any copy old enough): the stored mtime must equal it to the nanosecond, so a copy rewritten
 * or touched after the balancer read the index is never trashed.
 */
export function trashRefusal(mtimeNs: bigint, expectedMtimeNs: bigint | null, nowMs: number, blobSigningTTLMs: number): string | null {
  if (expectedMtimeNs !== null && mtimeNs !== expectedMtimeNs) return TRASH_SKIP.mtimeMismatch;
  if (!isOldEnoughToTrash(mtimeNs, nowMs, blobSigningTTLMs)) return TRASH_SKIP.tooYoung;
  return null;
}
