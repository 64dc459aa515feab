/**
 * A list's way from the worker that parsed it to the primary (worker/list-uploader.ts ->
 * list-uploads.ts): server lists are interned once, list-wide, by the worker, so the snapshot
 * the primary installs and persists has each server list once and every item points at its own
 * servers, across batch boundaries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReceivedList } from '../../packages/server/src/http/app-context.ts';
import type { RpcClient } from '../../packages/server/src/ipc/rpc-client.ts';
import { LIST_KINDS } from '../../packages/server/src/worklist/list-kinds.ts';
import { ListUploads } from '../../packages/server/src/worklist/list-uploads.ts';
import { itemLocator, itemMount, type ListSnapshot } from '../../packages/server/src/worklist/list-wire.ts';
import { uploadList } from '../../packages/server/src/worker/list-uploader.ts';
import { itemsOf } from '../helpers/list-items.ts';

/** Upload `body` as a worker would, into a ListUploads as the primary holds it; the committed snapshot. */
async function upload(kind: 'pull' | 'trash', body: string): Promise<{ snapshot: ListSnapshot; batches: number }> {
  const uploads = new ListUploads();
  let snapshot: ListSnapshot | null = null;
  let batches = 0;
  const rpc = {
    call: async (call: { method: string; kind?: 'pull' | 'trash'; uploadId?: number; count?: number }) => {
      if (call.method === 'list:begin') return { method: 'list:begin', uploadId: uploads.begin(call.kind!, 0) };
      snapshot = uploads.commit(call.uploadId!, call.count!);
      return { method: 'list:commit', accepted: snapshot.items.length };
    },
  } as unknown as RpcClient;
  const send = async (msg: { type: string; uploadId?: number; batch?: unknown }): Promise<void> => {
    batches++;
    uploads.add(msg.uploadId!, msg.batch as Parameters<ListUploads['add']>[1]);
  };
  const spec = LIST_KINDS[kind];
  const entries = (async function* () {
    yield spec.parse(body);
  })();
  const accepted = await uploadList(rpc, send as never, { kind, entries } as ReceivedList);
  assert.ok(snapshot);
  assert.equal(accepted, (snapshot as ListSnapshot).items.length);
  return { snapshot, batches };
}

const hash = (i: number): string => i.toString(16).padStart(32, '0');

test('pull: server lists interned once across batches; each job gets its own servers', async () => {
  const peers = [['http://a:1'], ['http://b:1', 'http://a:1'], ['http://c:1']];
  const n = 25_000; // three batches of at most 10 000
  const entries = Array.from({ length: n }, (_, i) => ({
    locator: `${hash(i)}+${i}`,
    servers: peers[i % 3],
    mount_uuid: i === n - 1 ? 'zzzzz-nyw5e-000000000000001' : null,
  }));
  const { snapshot, batches } = await upload('pull', JSON.stringify(entries));
  assert.equal(batches, 3);
  assert.equal(snapshot.kind, 'pull');
  assert.deepEqual(snapshot.serverLists, peers);
  assert.equal(snapshot.items.length, n);
  for (const i of [0, 1, 2, 10_000, 10_001, 20_002, n - 1]) {
    const item = snapshot.items.at(i)!;
    assert.equal(itemLocator(item), `${hash(i)}+${i}`);
    const job = LIST_KINDS.pull.toJob(item, 'zzzzz-nyw5e-000000000000002', snapshot.serverLists);
    assert.deepEqual(job, {
      kind: 'pull',
      locator: `${hash(i)}+${i}`,
      servers: peers[i % 3],
      volume: 'zzzzz-nyw5e-000000000000002',
      pinned: i === n - 1,
    });
  }
  assert.equal(itemMount(snapshot.items.at(n - 1)!), 'zzzzz-nyw5e-000000000000001');
});

test('trash: items carry block_mtime exactly; no server lists', async () => {
  const body = `[{"locator":"${hash(1)}+1","block_mtime":1700000000123456789,"mount_uuid":null}]`;
  const { snapshot } = await upload('trash', body);
  assert.deepEqual(snapshot.serverLists, []);
  assert.deepEqual(itemsOf(snapshot.items), [[`${hash(1)}+1`, '1700000000123456789', null]]);
  assert.deepEqual(LIST_KINDS.trash.toJob(snapshot.items.at(0)!, 'v', snapshot.serverLists), {
    kind: 'trash',
    locator: `${hash(1)}+1`,
    blockMtime: '1700000000123456789',
    volume: 'v',
  });
});
