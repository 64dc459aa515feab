import { Transform, type TransformCallback } from 'node:stream';
import type { PullPacing } from './pacing.js';

/** What the throttle tells the stream before it: stop counting silence while we hold the bytes back. */
export interface HoldListener {
  hold(): void;
  release(): void;
}

/**
 * The pull stream's pacing step, after the idle watchdog: each chunk from the peer is passed on
 * when the worker's pacing lets it (bandwidth share, yielding to clients). While a chunk is
 * held, `watchdog` does not count the silence as the peer's (the wait is ours), and backpressure
 * stops reading from the socket: at most a few chunks are buffered.
 */
export class BandwidthThrottle extends Transform {
  constructor(
    private readonly pacing: PullPacing,
    private readonly watchdog: HoldListener,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    const wait = this.pacing.hold(chunk.length);
    if (wait === null) return cb(null, chunk);
    this.watchdog.hold();
    void wait.then(() => {
      this.watchdog.release();
      if (!this.destroyed) cb(null, chunk);
    });
  }
}
