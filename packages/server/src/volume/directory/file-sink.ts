import { Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { WriteErrorMapper } from './fs-errors.js';

/** Writable buffer of a sink: with the meter's buffers this bounds memory per transfer. */
export const SINK_HIGH_WATER_MARK = 256 * 1024; // 256 KiB

/**
 * Chunks are collected up to this many bytes and written with one writev. A socket delivers a
 * block in 64 KiB pieces, and every write call costs main-thread time of its own (measured:
 * most of a pull's CPU went to one write per 64 KiB piece); 1 MiB batches cut the calls 16x.
 */
export const SINK_COALESCE_BYTES = 1024 * 1024; // 1 MiB

/**
 * After this many bytes a background fdatasync starts, so the disk writes a big block while it
 * is still arriving and the commit's fsync only has the tail left (a 64 MiB fsync took ~35 ms,
 * all of it on the block's critical path). A failed background sync fails the stream: Linux
 * reports a writeback error once, so it must not be left for the final fsync to miss.
 */
export const SINK_SYNC_EVERY_BYTES = 8 * 1024 * 1024; // 8 MiB

/**
 * A Writable over an open FileHandle that the caller keeps owning (it is neither closed nor
 * synced here: PendingWrite does that on commit or discard). Small chunks are accepted at once
 * and written in batches of SINK_COALESCE_BYTES; the rest is written when the stream ends,
 * before 'finish', so "finished" still means "every byte handed to the file".
 *
 * Why not fs.WriteStream: stream.pipeline() destroys every stream with the FIRST error, so a
 * WriteStream would re-emit a client's ECONNRESET as if the disk had failed. Here only errors
 * from our own write calls are mapped (to FullError / WriteFailedError) before they are
 * emitted, so the pipeline's error says which side failed.
 */
export class FileSink extends Writable {
  readonly #fh: FileHandle;
  readonly #mapError: WriteErrorMapper;
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #unsynced = 0;
  #syncing: Promise<void> | null = null;
  #syncError: unknown = null;

  constructor(fh: FileHandle, mapError: WriteErrorMapper) {
    super({ highWaterMark: SINK_HIGH_WATER_MARK, decodeStrings: true });
    this.#fh = fh;
    this.#mapError = mapError;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#add([chunk], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: (err?: Error | null) => void): void {
    this.#add(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#flush((err) => {
      if (err) return cb(err);
      // No file operation may still run when the owner fsyncs and closes.
      void (this.#syncing ?? Promise.resolve()).then(() => cb(this.#syncError === null ? null : this.#mapError(this.#syncError)));
    });
  }

  /** Take the chunks; write the batch once it is big enough, else ask for more at once. */
  #add(buffers: Buffer[], cb: (err?: Error | null) => void): void {
    for (const buf of buffers) {
      this.#batch.push(buf);
      this.#batchBytes += buf.length;
    }
    if (this.#batchBytes < SINK_COALESCE_BYTES) return cb();
    this.#flush(cb);
  }

  #flush(cb: (err?: Error | null) => void): void {
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    if (batch.length === 0) return cb();
    this.#writeAll(batch).then(
      () => {
        this.#syncInBackground(batch);
        cb();
      },
      (err: unknown) => cb(this.#mapError(err)),
    );
  }

  #syncInBackground(written: Buffer[]): void {
    for (const buf of written) this.#unsynced += buf.length;
    if (this.#unsynced < SINK_SYNC_EVERY_BYTES || this.#syncing !== null) return;
    this.#unsynced = 0;
    this.#syncing = this.#fh.datasync().then(
      () => {
        this.#syncing = null;
      },
      (err: unknown) => {
        this.#syncError ??= err;
        this.#syncing = null;
      },
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
