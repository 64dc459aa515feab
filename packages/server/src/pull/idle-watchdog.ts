import { Transform, type TransformCallback } from 'node:stream';

/**
 * A pass-through that calls `onIdle` when no chunk has arrived for `idleMs`: the peer stalled
 * mid-body. The timer starts when the watchdog is created (i.e. when the response headers
 * arrived) and is reset by every chunk; it stops at the end of the stream or when it is
 * destroyed. Chunks are forwarded as the same Buffers (no copy).
 *
 * While our own disk holds the pipeline back, no chunk is asked for either, so a write
 * stalled for longer than `idleMs` also trips it: a volume that slow is worth giving up on.
 * Time our own pacing holds the stream back (hold() to release()) is not counted.
 */
export class IdleWatchdog extends Transform {
  #timer: NodeJS.Timeout | null = null;
  #held = false;

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    super();
    this.#arm();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.#arm();
    cb(null, chunk);
  }

  /** Our pacing holds the stream back: no silence counts until release(). */
  hold(): void {
    this.#held = true;
    this.#disarm();
  }

  release(): void {
    this.#held = false;
    if (!this.destroyed && !this.writableFinished) this.#arm();
  }

  override _flush(cb: TransformCallback): void {
    this.#disarm();
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#disarm();
    cb(err);
  }

  #arm(): void {
    if (this.idleMs <= 0 || this.#held) return;
    if (this.#timer) {
      this.#timer.refresh(); // cheaper than clear + set for every 64 KiB chunk
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.onIdle();
    }, this.idleMs);
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
