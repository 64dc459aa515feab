import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CorruptBlockError } from '../errors.js';

/**
 * Pass a stored block through unchanged while hashing it, but hold back the last chunk until
 * the MD5 is known: if the stored copy no longer matches its hash the stream fails before the
 * final bytes are sent, so a client never receives a complete, wrong block. Holds at most one
 * chunk (the read stream's highWaterMark) beyond what a plain pipe would.
 */
export class BlockVerifier extends Transform {
  private readonly md5 = createHash('md5');
  private held: Buffer | null = null;

  constructor(private readonly expectedHash: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.md5.update(chunk);
    const prev = this.held;
    this.held = chunk;
    done(null, prev ?? undefined);
  }

  override _flush(done: TransformCallback): void {
    if (this.md5.digest('hex') !== this.expectedHash) {
      done(new CorruptBlockError());
      return;
    }
    done(null, this.held ?? undefined);
  }
}
