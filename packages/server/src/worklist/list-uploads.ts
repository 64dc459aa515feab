import { BadRequestError } from '../errors.js';
import { CompactListBuilder } from './compact-list.js';
import type { ListBatch, ListKind, ListSnapshot } from './list-wire.js';

interface Upload {
  kind: ListKind;
  workerId: number;
  items: CompactListBuilder;
  /** Why an item could not be held (a broken batch): the commit is refused. */
  broken: string | null;
  /** List-wide, as the uploading worker interned them: batches only append. */
  serverLists: Array<readonly string[]>;
}

/**
 * Assembles list uploads in the primary, straight into the compact form it keeps lists in: the worker that received PUT /pull or /trash opens an
 * upload, streams batches, then commits. Only a committed upload replaces the current list,
 * so a worker that dies mid-upload changes nothing.
 */
export class ListUploads {
  private readonly uploads = new Map<number, Upload>();
  private nextId = 1;

  begin(kind: ListKind, workerId: number): number {
    const id = this.nextId++;
    this.uploads.set(id, { kind, workerId, items: new CompactListBuilder(kind), broken: null, serverLists: [] });
    return id;
  }

  add(uploadId: number, batch: ListBatch): void {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.kind !== batch.kind || upload.broken !== null) return;
    try {
      for (const item of batch.items) upload.items.push(item);
    } catch (err) {
      upload.broken = (err as Error).message;
    }
    for (const servers of batch.serverLists) upload.serverLists.push(servers);
  }

  /** Finish an upload; the count guards against a lost batch. */
  commit(uploadId: number, count: number): ListSnapshot {
    const upload = this.uploads.get(uploadId);
    this.uploads.delete(uploadId);
    if (!upload) throw new BadRequestError('unknown list upload');
    if (upload.broken !== null) throw new BadRequestError(`list upload refused: ${upload.broken}`);
    if (upload.items.length !== count) {
      throw new BadRequestError(`list upload incomplete: ${upload.items.length} of ${count} entries arrived`);
    }
    return { kind: upload.kind, items: upload.items.finish(), serverLists: upload.serverLists, acceptedAt: Date.now() };
  }

  /** Worker process `workerId` gave up upload `uploadId` (its list was refused mid-stream, or its client left): drop it. */
  abort(uploadId: number, workerId: number): void {
    if (this.uploads.get(uploadId)?.workerId === workerId) this.uploads.delete(uploadId);
  }

  /** Worker process `workerId` is gone: its unfinished uploads are dropped. */
  dropWorker(workerId: number): void {
    for (const [id, upload] of this.uploads) if (upload.workerId === workerId) this.uploads.delete(id);
  }
}
