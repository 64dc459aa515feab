/**
 * Object keys of an S3 volume, exactly as Arvados keepstore's S3 driver lays out a bucket (so a
 * bucket it filled is served as is):
 * - block:  `HASH`, or `HASH[0:N]/HASH` with prefixLength N (spreads keys over S3 partitions);
 * - marker: `recent/<block key>`, empty; its LastModified is the block's mtime (every PUT and
 *   touch rewrites it);
 * - trash:  `trash/<block key>`, a copy of the block; its LastModified is when it was trashed.
 * Hex block keys sort before `recent/` and `trash/`, so a listing of blocks can stop at 'g'.
 */

export const RECENT_PREFIX = 'recent/';
export const TRASH_PREFIX = 'trash/';

const HASH_RE = /^[0-9a-f]{32}$/;

export class S3Keys {
  constructor(readonly prefixLength: number) {
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
      throw new RangeError(`prefixLength must be an integer in 0..32, got ${prefixLength}`);
    }
  }

  block(hash: string): string {
    return this.prefixLength === 0 ? hash : `${hash.slice(0, this.prefixLength)}/${hash}`;
  }

  recent(hash: string): string {
    return RECENT_PREFIX + this.block(hash);
  }

  trash(hash: string): string {
    return TRASH_PREFIX + this.block(hash);
  }

  /**
   * The S3 listing prefix that selects exactly the block keys whose hash starts with
   * `hashPrefix`. A hash prefix at least N long names one `HASH[0:N]/` folder and continues
   * inside it; a shorter one matches the folder names themselves. (Arvados' driver only adds
   * the folder for prefixes longer than N+1, so `/index/` with N+1 characters finds nothing.)
   */
  listPrefix(hashPrefix: string): string {
    if (this.prefixLength === 0 || hashPrefix.length < this.prefixLength) return hashPrefix;
    return `${hashPrefix.slice(0, this.prefixLength)}/${hashPrefix}`;
  }

  /** The hash a block key in this layout names; null for anything else (markers, strays). */
  hashOf(key: string): string | null {
    const n = this.prefixLength;
    if (n === 0) return HASH_RE.test(key) ? key : null;
    if (key.length !== n + 33 || key[n] !== '/') return null;
    const hash = key.slice(n + 1);
    return HASH_RE.test(hash) && key.startsWith(hash.slice(0, n)) ? hash : null;
  }
}
