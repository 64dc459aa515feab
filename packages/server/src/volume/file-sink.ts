import { Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { WriteErrorMapper } from './types.js';

/** Writable buffer of a sink: with the meter's buffers this bounds memory per transfer. */
export const SINK_HIGH_WATER_MARK = 256 * 1024; // 256 KiB

/**
 * A Writable over an open FileHandle that the caller keeps owning (it is neither closed nor
 * synced here: PendingWrite does that on commit or discard).
 *
 * Why not fs.WriteStream: stream.pipeline() destroys every stream with the FIRST error, so a
 * WriteStream would re-emit a client's ECONNRESET as if the disk had failed. Here only errors
 * from our own write calls are mapped (to FullError / WriteFailedError) before they are
 * emitted, so the pipeline's error says which side failed.
 */
export class FileSink extends Writable {
  readonly #fh: FileHandle;
  readonly #mapError: WriteErrorMapper;

  constructor(fh: FileHandle, mapError: WriteErrorMapper) {
    super({ highWaterMark: SINK_HIGH_WATER_MARK, decodeStrings: true });
    this.#fh = fh;
    this.#mapError = mapError;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#writeAll([chunk]).then(
      () => cb(),
      (err: unknown) => cb(this.#mapError(err)),
    );
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    cb: (err?: Error | null) => void,
  ): void {
    this.#writeAll(chunks.map((c) => c.chunk)).then(
      () => cb(),
      (err: unknown) => cb(this.#mapError(err)),
    );
  }

  /** One writev; libuv retries short writes, but a short write before an error is finished here. */
  async #writeAll(buffers: Buffer[]): Promise<void> {
    let { bytesWritten } = await this.#fh.writev(buffers);
    for (const buf of buffers) {
      let offset = Math.min(bytesWritten, buf.length);
      bytesWritten -= offset;
      while (offset < buf.length) {
        const r = await this.#fh.write(buf, offset, buf.length - offset);
        if (r.bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        offset += r.bytesWritten;
      }
    }
  }
}
