import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { FileSink } from './file-sink.js';
import { isMissing, type WriteErrorMapper } from './fs-errors.js';
import type { BlockStat, PendingWrite } from '../volume.js';

type State = 'open' | 'committing' | 'committed' | 'discarded';

/**
 * The temp file of one block write. The temp file lives in the block's own directory so
 * the final rename is atomic: readers see the old state or the whole block, never a part.
 */
export class DirectoryPendingWrite implements PendingWrite {
  readonly stream: FileSink;
  #fh: FileHandle | null;
  #state: State = 'open';

  constructor(
    readonly path: string,
    private readonly finalPath: string,
    fh: FileHandle,
    private readonly mapError: WriteErrorMapper,
  ) {
    this.#fh = fh;
    this.stream = new FileSink(fh, mapError);
  }

  /** Makes the block durable under its name. Call only after `stream` has finished. */
  async commit(): Promise<BlockStat> {
    if (this.#state !== 'open') throw new Error(`commit of a write that is ${this.#state}`);
    if (!this.stream.writableFinished) throw new Error('commit before the stream finished');
    this.#state = 'committing';
    try {
      const fh = this.#takeHandle();
      let st;
      try {
        // Data on disk before the name points at it. The stat runs beside the sync: the file
        // is written, and neither the sync nor the rename changes its size or mtime.
        [, st] = await Promise.all([fh.sync(), fh.stat({ bigint: true })]);
      } finally {
        await fh.close();
      }
      await fs.rename(this.path, this.finalPath);
      this.#state = 'committed';
      await syncDirectory(path.dirname(this.finalPath)); // the rename itself survives a crash
      return { size: Number(st.size), mtimeNs: st.mtimeNs };
    } catch (err) {
      if (this.#state === 'committing') this.#state = 'open'; // let discard() remove the temp
      throw this.mapError(err);
    }
  }

  async discard(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'discarded') return;
    this.#state = 'discarded';
    if (!this.stream.destroyed) this.stream.destroy();
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => undefined);
    try {
      await fs.unlink(this.path);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  #takeHandle(): FileHandle {
    const fh = this.#fh;
    if (!fh) throw new Error('temp file already closed');
    this.#fh = null;
    return fh;
  }
}

/** fsync a directory so a rename in it is durable. */
async function syncDirectory(dir: string): Promise<void> {
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
