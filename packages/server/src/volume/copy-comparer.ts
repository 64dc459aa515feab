import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * What a block being written turned out to be, next to a copy already stored under its hash:
 * - `identical`: the same bytes (so the stored copy is intact);
 * - `corrupt`: the stored copy does not hash to its name (damaged storage): replace it;
 * - `collision`: the stored copy hashes to its name but holds other bytes (a real MD5
 *   collision): refuse, never overwrite;
 * - `unreadable`: the stored copy failed to read: it cannot be judged (nor served).
 */
export type CopyVerdict = 'identical' | 'corrupt' | 'collision' | 'unreadable';

const EMPTY = Buffer.alloc(0);

/**
 * Pass-through placed in a block write that reads the stored copy in lock step with the new
 * bytes, comparing them and hashing the stored copy as it goes. Driver-neutral: it needs only
 * `Volume.openRead` of the stored copy, never a read-back of the write in progress (an
 * unfinished S3 upload cannot be read). Memory: the new chunk plus one read chunk of the copy.
 * A read error of the stored copy ends the comparison (verdict `unreadable`), not the write.
 * The owner destroys the stored copy's stream when done (it may be left unread).
 */
export class StoredCopyComparer extends Transform {
  readonly #hash: string;
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #md5 = createHash('md5');
  #held: Buffer = EMPTY;
  #storedEnded = false;
  #same = true;
  #readFailed = false;
  #verdict: CopyVerdict | null = null;

  constructor(hash: string, stored: Readable) {
    super();
    this.#hash = hash;
    this.#chunks = stored[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Available once the stream has ended. */
  get verdict(): CopyVerdict {
    if (this.#verdict === null) throw new Error('verdict asked before the stream ended');
    return this.#verdict;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    if (!this.#same || this.#readFailed) return cb(null, chunk);
    this.#compare(chunk).then(
      () => cb(null, chunk),
      () => {
        this.#readFailed = true;
        cb(null, chunk);
      },
    );
  }

  override _flush(cb: TransformCallback): void {
    this.#finish().then(
      (verdict) => {
        this.#verdict = verdict;
        cb();
      },
      () => {
        this.#verdict = 'unreadable';
        cb();
      },
    );
  }

  async #compare(chunk: Buffer): Promise<void> {
    while (this.#held.length < chunk.length && !this.#storedEnded) await this.#readMore();
    const mine = this.#held.subarray(0, chunk.length);
    this.#md5.update(mine);
    this.#held = this.#held.subarray(mine.length);
    if (mine.length !== chunk.length || !mine.equals(chunk)) this.#same = false;
  }

  /** The rest of the stored copy (through MD5) once the new bytes have all arrived. */
  async #finish(): Promise<CopyVerdict> {
    if (this.#readFailed) return 'unreadable';
    if (this.#held.length > 0) this.#same = false;
    this.#md5.update(this.#held);
    this.#held = EMPTY;
    while (!this.#storedEnded) {
      await this.#readMore();
      if (this.#held.length > 0) this.#same = false;
      this.#md5.update(this.#held);
      this.#held = EMPTY;
    }
    if (this.#md5.digest('hex') !== this.#hash) return 'corrupt';
    return this.#same ? 'identical' : 'collision';
  }

  async #readMore(): Promise<void> {
    const next = await this.#chunks.next();
    if (next.done) {
      this.#storedEnded = true;
      return;
    }
    this.#held = this.#held.length === 0 ? next.value : Buffer.concat([this.#held, next.value]);
  }
}
