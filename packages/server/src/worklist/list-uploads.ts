import { BadRequestError } from '../errors.js';
import type { ListBatch, ListKind, PullItem, TrashItem } from './list-wire.js';
import type { PullList } from './pull-kind.js';

export type UploadedList = { kind: 'pull'; list: PullList } | { kind: 'trash'; items: TrashItem[] };

interface Upload {
  kind: ListKind;
  workerIndex: number;
  items: Array<PullItem | TrashItem>;
  /** Pull only: server lists interned across batches ("a,b" -> index). */
  serverIndex: Map<string, number>;
  serverLists: string[][];
}

/**
 * Assembles list uploads in the primary: the worker that received PUT /pull or /trash opens an
 * upload, streams batches, then commits. Only a committed upload replaces the current list,
 * so a worker that dies mid-upload changes nothing.
 */
export class ListUploads {
  private readonly uploads = new Map<number, Upload>();
  private nextId = 1;

  begin(kind: ListKind, workerIndex: number): number {
    const id = this.nextId++;
    this.uploads.set(id, { kind, workerIndex, items: [], serverIndex: new Map(), serverLists: [] });
    return id;
  }

  add(uploadId: number, batch: ListBatch): void {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.kind !== batch.kind) return;
    if (batch.kind === 'trash') {
      for (const item of batch.items) upload.items.push(item);
      return;
    }
    const remap = batch.serverLists.map((servers) => {
      const key = servers.join(' ');
      let idx = upload.serverIndex.get(key);
      if (idx === undefined) {
        idx = upload.serverLists.push(servers) - 1;
        upload.serverIndex.set(key, idx);
      }
      return idx;
    });
    for (const [locator, list, mount] of batch.items) upload.items.push([locator, remap[list]!, mount]);
  }

  /** Finish an upload; the count guards against a lost batch. */
  commit(uploadId: number, count: number): UploadedList {
    const upload = this.uploads.get(uploadId);
    this.uploads.delete(uploadId);
    if (!upload) throw new BadRequestError('unknown list upload');
    if (upload.items.length !== count) {
      throw new BadRequestError(`list upload incomplete: ${upload.items.length} of ${count} entries arrived`);
    }
    return upload.kind === 'pull'
      ? { kind: 'pull', list: { items: upload.items as PullItem[], serverLists: upload.serverLists } }
      : { kind: 'trash', items: upload.items as TrashItem[] };
  }

  /** A worker died: its unfinished uploads are dropped. */
  dropWorker(workerIndex: number): void {
    for (const [id, upload] of this.uploads) if (upload.workerIndex === workerIndex) this.uploads.delete(id);
  }
}
