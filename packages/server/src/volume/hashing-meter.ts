import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TooLargeError, type KeepError } from '../errors.js';

export interface HashingMeterOptions {
  /** More bytes than this make the stream fail with TooLargeError (413), or `tooMany()`. */
  maxBytes: number;
  /** The error for more than `maxBytes` bytes, when it is not "too large" (a known size). */
  tooMany?: () => KeepError;
}

/** Buffer on each side of the meter (readable and writable), in bytes. */
export const METER_HIGH_WATER_MARK = 64 * 1024; // 64 KiB

/**
 * Pass-through that computes the MD5 and the byte count of everything flowing through it,
 * so a block is hashed once per transfer (client PUT or pull from a peer). Chunks are
 * forwarded as the same Buffer objects: no copy. Stops with TooLargeError (or `tooMany()`) as
 * soon as more than `maxBytes` arrived, before the offending chunk is forwarded.
 */
export class HashingMeter extends Transform {
  readonly maxBytes: number;
  readonly #tooMany: () => KeepError;
  readonly #md5 = createHash('md5');
  #bytes = 0;
  #digest: string | null = null;

  constructor(options: HashingMeterOptions) {
    super({ highWaterMark: METER_HIGH_WATER_MARK, decodeStrings: true });
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`);
    }
    this.maxBytes = options.maxBytes;
    this.#tooMany = options.tooMany ?? (() => new TooLargeError());
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Lowercase hex MD5 of all bytes; available once the stream has ended. */
  digestHex(): string {
    if (this.#digest === null) throw new Error('digestHex() called before the stream ended');
    return this.#digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.maxBytes) {
      cb(this.#tooMany());
      return;
    }
    this.#md5.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#digest = this.#md5.digest('hex');
    cb();
  }
}
