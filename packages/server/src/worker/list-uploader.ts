import type { PullEntry, TrashEntry } from '@keepstore/protocol';
import type { ReceivedList } from '../http/app-context.js';
import type { RpcClient } from '../ipc/rpc-client.js';
import type { WorkerToPrimary } from '../ipc/messages.js';
import type { ListBatch, PullItem, TrashItem } from '../worklist/list-wire.js';

/** Entries per IPC message: big enough to amortise, small enough not to stall the primary. */
const BATCH_SIZE = 10_000;

/** Send one message, waiting when the channel reports backpressure (send() still queues). */
export type SendWithBackpressure = (msg: WorkerToPrimary) => Promise<void>;

function pullBatch(entries: readonly PullEntry[]): ListBatch {
  const index = new Map<string, number>();
  const serverLists: string[][] = [];
  const items: PullItem[] = entries.map((e) => {
    const key = e.servers.join(' ');
    let i = index.get(key);
    if (i === undefined) {
      i = serverLists.push(e.servers) - 1;
      index.set(key, i);
    }
    return [`${e.hash}+${e.size}`, i, e.mountUuid];
  });
  return { kind: 'pull', serverLists, items };
}

function trashBatch(entries: readonly TrashEntry[]): ListBatch {
  const items: TrashItem[] = entries.map((e) => [`${e.hash}+${e.size}`, e.blockMtime.toString(), e.mountUuid]);
  return { kind: 'trash', items };
}

/**
 * Hand a validated list to the primary: open an upload, send it in compact batches with
 * backpressure, then commit. Resolves once the primary has made it the current list.
 */
export async function uploadList(
  rpc: RpcClient,
  send: SendWithBackpressure,
  list: ReceivedList,
): Promise<number> {
  const { uploadId } = await rpc.call({ method: 'list:begin', kind: list.kind });
  for (let i = 0; i < list.entries.length; i += BATCH_SIZE) {
    const batch =
      list.kind === 'pull'
        ? pullBatch(list.entries.slice(i, i + BATCH_SIZE))
        : trashBatch(list.entries.slice(i, i + BATCH_SIZE));
    await send({ type: 'list:batch', uploadId, batch });
  }
  const { accepted } = await rpc.call({ method: 'list:commit', uploadId, count: list.entries.length });
  return accepted;
}
