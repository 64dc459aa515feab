/**
 * A stored copy may be trashed only once it is older than blobSigningTTL: until then a client
 * may hold a valid signed locator for it (Arvados keepstore's rule).
 */
export function isOldEnoughToTrash(mtimeNs: bigint, nowMs: number, blobSigningTTLMs: number): boolean {
  const cutoffNs = (BigInt(Math.floor(nowMs)) - BigInt(Math.floor(blobSigningTTLMs))) * 1_000_000n;
  return mtimeNs < cutoffNs;
}
