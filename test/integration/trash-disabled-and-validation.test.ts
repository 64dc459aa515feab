/**
 * blobTrash: false (DELETE 405; trash lists accepted, kept, shown, never carried out), and
 * PUT /trash validation: 400 naming the entry, the current list kept. A server with trash off
 * keeps a list queued as it was sent, so what /status.json shows is exactly the current list.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminHeaders, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { blockFiles, placeOldBlock, putTrash, randomBlock, status, trashListJson, type WireTrashEntry } from '../helpers/trash-fixtures.ts';

const HOUR = 3600;
const HASH = '37b51d194a7323b21c8f5eb22a0a66ec';
let ks: Keepstore;

before(async () => {
  ks = await startKeepstore({ volumeCount: 2, config: { blobTrash: false, blobSigningTTL: '2s', blobTrashCheckInterval: '1s' } });
});
after(() => ks?.destroy());

async function accept(body: string): Promise<string> {
  const res = await putTrash(ks, body);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return text;
}

async function listSize(): Promise<number> {
  return (await status(ks)).trashQueue.listSize;
}

test('DELETE answers 405 and leaves the block', async () => {
  const { data, hash } = randomBlock();
  await placeOldBlock(ks.volumeRoot(0), hash, data, HOUR);
  const res = await fetch(`${ks.url}/${hash}`, { method: 'DELETE', headers: adminHeaders });
  assert.equal(res.status, 405);
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), hash), [hash]);
});

test('a trash list is accepted (200) but not carried out; /status.json says trash is disabled', async () => {
  const { data, hash } = randomBlock();
  const mtime = await placeOldBlock(ks.volumeRoot(0), hash, data, HOUR);
  const body = trashListJson([{ locator: `${hash}+${data.length}`, blockMtime: mtime, mountUuid: volumeUuid(0) }]);
  assert.equal(await accept(body), 'Received 1 trash requests\n');
  const q = (await status(ks)).trashQueue;
  assert.deepEqual(
    { enabled: q.enabled, listSize: q.listSize, queued: q.queued, inProgress: q.inProgress, done: q.done },
    {
      enabled: false,
      listSize: 1,
      queued: 1,
      inProgress: 0,
      done: 0,
    },
  );
  assert.ok(ks.logs.some((l) => l.message === 'trash list received' && l['count'] === 1));
  assert.deepEqual(await blockFiles(ks.volumeRoot(0), hash), [hash]);
});

test('[] and null clear the list; a new list replaces the old one whole', async () => {
  const entry = (i: number): WireTrashEntry => ({ locator: `${HASH}+${i}`, blockMtime: 1707249451308502672n + BigInt(i) });
  await accept(trashListJson([entry(1), entry(2), entry(3)]));
  assert.equal(await listSize(), 3);
  await accept(trashListJson([entry(4)]));
  assert.equal(await listSize(), 1);
  await accept('[]');
  assert.equal(await listSize(), 0);
  await accept(trashListJson([entry(5), entry(6)]));
  await accept('null');
  assert.equal(await listSize(), 0);
});

test('bad lists get 400 naming the entry and the reason; the current list is kept', async () => {
  const good = `{"locator":"${HASH}+3","block_mtime":1707249451308502672}`;
  await accept(`[${good},${good}]`);
  const cases: Array<[body: string, expected: RegExp]> = [
    ['[{"locator":', /malformed JSON/],
    ['{"locator":"x"}', /expected a JSON array/],
    [`[${good},{"locator":"${HASH.toUpperCase()}+3","block_mtime":1}]`, /^entry 1: invalid locator/],
    [`[${good},{"locator":"${HASH}","block_mtime":1}]`, /^entry 1: locator .* has no size hint/],
    [`[{"locator":"${HASH}+3"}]`, /^entry 0: missing block_mtime/],
    [`[${good},${good},{"locator":"${HASH}+3","block_mtime":1.5}]`, /^entry 2: block_mtime must be a non-negative integer, got 1\.5/],
    [`[{"locator":"${HASH}+3","block_mtime":"1707249451308502672"}]`, /^entry 0: block_mtime must be a number, not a string/],
    [`[{"locator":"${HASH}+3","block_mtime":-1}]`, /^entry 0: block_mtime must not be negative/],
    [`[{"locator":"${HASH}+3","block_mtime":1e18}]`, /^entry 0: block_mtime must be a non-negative integer, got 1e18/],
    [`[{"locator":"${HASH}+3","block_mtime":null}]`, /^entry 0: block_mtime must be a non-negative integer, got null/],
    [`[{"locator":"${HASH}+3","block_mtime":99999999999999999999}]`, /^entry 0: block_mtime 99999999999999999999 is out of range/],
  ];
  for (const [body, expected] of cases) {
    const res = await putTrash(ks, body);
    assert.equal(res.status, 400, body);
    assert.match(await res.text(), expected, body);
  }
  assert.equal(await listSize(), 2, 'the current list is kept');
  const wrong = { Authorization: 'Bearer not-the-root-token' };
  assert.equal((await putTrash(ks, '[]', {})).status, 401);
  assert.equal((await putTrash(ks, '[]', wrong)).status, 403);
  assert.equal(await listSize(), 2, 'unauthorised lists change nothing');
});

test('a 100 000-entry trash list is accepted and shown whole in /status.json', async (t) => {
  const N = 100_000;
  const entries = Array.from({ length: N }, (_, i) => {
    const hash = i.toString(16).padStart(32, '0');
    return `{"locator":"${hash}+${i}","block_mtime":${1707249451308502672n + BigInt(i)},"mount_uuid":"${volumeUuid(i % 2)}"}`;
  });
  const body = `[${entries.join(',')}]`;
  const started = Date.now();
  assert.equal(await accept(body), `Received ${N} trash requests\n`);
  const elapsed = Date.now() - started;
  t.diagnostic(`accepted in ${elapsed} ms`); // speed is bench:pull's job, not a test's
  const q = (await status(ks)).trashQueue;
  assert.equal(q.listSize, N);
  assert.equal(q.queued, N);
  assert.equal(q.enabled, false);
  await accept('[]');
  assert.equal(await listSize(), 0);
});
