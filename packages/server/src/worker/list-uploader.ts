import type { ReceivedList } from '../http/app-context.js';
import type { WorkerToPrimary } from '../ipc/messages.js';
import type { RpcClient } from '../ipc/rpc-client.js';
import type { ListKindSpec } from '../worklist/list-kind-spec.js';
import { LIST_KINDS } from '../worklist/list-kinds.js';

/** Entries per IPC message: big enough to amortise, small enough not to stall the primary. */
const BATCH_SIZE = 10_000;

/** Send one message, waiting when the channel reports backpressure (send() still queues). */
export type SendWithBackpressure = (msg: WorkerToPrimary) => Promise<void>;

/**
 * Hand a validated list to the primary: open an upload, send it in compact batches with
 * backpressure, then commit. Server lists are interned here, once for the whole list: each
 * batch carries those it uses first, and the primary appends them. Resolves once the primary
 * has made it the current list.
 */
export function uploadList(rpc: RpcClient, send: SendWithBackpressure, list: ReceivedList): Promise<number> {
  return uploadEntries(rpc, send, LIST_KINDS[list.kind], list.entries);
}

async function uploadEntries<E>(rpc: RpcClient, send: SendWithBackpressure, spec: ListKindSpec<E>, entries: readonly E[]): Promise<number> {
  const { uploadId } = await rpc.call({ method: 'list:begin', kind: spec.kind });
  const index = new Map<string, number>();
  let newLists: Array<readonly string[]> = [];
  const intern = (servers: readonly string[]): number => {
    const key = servers.join(' ');
    let i = index.get(key);
    if (i === undefined) {
      i = index.size;
      index.set(key, i);
      newLists.push(servers);
    }
    return i;
  };
  for (let i = 0; i < entries.length; i += BATCH_SIZE) {
    const items = entries.slice(i, i + BATCH_SIZE).map((entry) => spec.toItem(entry, intern));
    await send({ type: 'list:batch', uploadId, batch: { kind: spec.kind, items, serverLists: newLists } });
    newLists = [];
  }
  const { accepted } = await rpc.call({ method: 'list:commit', uploadId, count: entries.length });
  return accepted;
}
