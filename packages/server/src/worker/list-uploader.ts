import type { ReceivedList } from '../http/app-context.js';
import type { WorkerToPrimary } from '../ipc/messages.js';
import type { RpcClient } from '../ipc/rpc-client.js';
import type { ListKindSpec } from '../worklist/list-kind-spec.js';
import { LIST_KINDS } from '../worklist/list-kinds.js';
import type { ListItem } from '../worklist/list-wire.js';

/** Entries per IPC message: big enough to amortise, small enough not to stall the primary. */
const BATCH_SIZE = 10_000;

/** Send one message, waiting when the channel reports backpressure (send() still queues). */
export type SendWithBackpressure = (msg: WorkerToPrimary) => Promise<void>;

/**
 * Hand a list to the primary while it is still arriving: open an upload with the first valid
 * entries (a list refused at once costs the primary nothing), send compact batches with
 * backpressure (which also paces the reading of the body), then commit. Server lists are
 * interned here, once for the whole list: each batch carries those it uses first, and the
 * primary appends them. If the entries end in an error, the upload is aborted and the error
 * rethrown: the primary's current list stays. Resolves once the primary has made it the
 * current list.
 */
export function uploadList(rpc: RpcClient, send: SendWithBackpressure, list: ReceivedList): Promise<number> {
  return uploadEntries(rpc, send, LIST_KINDS[list.kind], list.entries);
}

async function uploadEntries<E>(
  rpc: RpcClient,
  send: SendWithBackpressure,
  spec: ListKindSpec<E>,
  entries: AsyncIterable<readonly E[]>,
): Promise<number> {
  let uploadId: number | null = null;
  const open = async (): Promise<number> => (uploadId ??= (await rpc.call({ method: 'list:begin', kind: spec.kind })).uploadId);
  const index = new Map<string, number>();
  let newLists: Array<readonly string[]> = [];
  // Neighbouring entries mostly name the same servers: compared first, that skips the join.
  let last: { servers: readonly string[]; i: number } | null = null;
  const intern = (servers: readonly string[]): number => {
    if (last !== null && sameServers(last.servers, servers)) return last.i;
    const key = servers.join(' ');
    let i = index.get(key);
    if (i === undefined) {
      i = index.size;
      index.set(key, i);
      newLists.push(servers);
    }
    last = { servers, i };
    return i;
  };
  let items: ListItem[] = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    const batch = { kind: spec.kind, items, serverLists: newLists };
    items = [];
    newLists = [];
    await send({ type: 'list:batch', uploadId: await open(), batch });
  };
  try {
    for await (const run of entries) {
      for (const entry of run) {
        items.push(spec.toItem(entry, intern));
        if (items.length === BATCH_SIZE) await flush();
      }
      count += run.length;
    }
    if (items.length > 0) await flush();
  } catch (err) {
    if (uploadId !== null) await send({ type: 'list:abort', uploadId }).catch(() => undefined);
    throw err;
  }
  const { accepted } = await rpc.call({ method: 'list:commit', uploadId: await open(), count });
  return accepted;
}

function sameServers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}
