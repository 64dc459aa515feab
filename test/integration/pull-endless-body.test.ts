/**
 * A peer that sends an endless body for a small block (issue 14.10): the pull stops one chunk
 * past the expected size with "size mismatch", instead of writing up to 64 MiB first and
 * failing "block too large".
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, type Keepstore } from '../helpers/keepstore-process.ts';
import { assertNoBadBlocks, hasBlock, logsWith, makeBlock, runPullList, volumeFiles } from '../helpers/pull-helpers.ts';

let ks: Keepstore;
let peer: FakePeer;
before(async () => {
  [ks, peer] = await Promise.all([startKeepstore({ workers: 1, volumeCount: 1 }), startFakePeer({ signingKey: SIGNING_KEY })]);
});
after(() => Promise.all([ks?.destroy(), peer?.close()]));

/** Far below the 64 MiB the worker used to read, far above what socket buffers hold. */
const READ_BOUND = 16 * 1024 * 1024;

test('an endless body for a 30-byte block fails "size mismatch" at once, having read almost nothing', async (t) => {
  const block = makeBlock(30);
  peer.serve(block.hash, block.data, 'endless');
  const q = await runPullList(ks, [{ locator: block.locator, servers: [peer.url] }]);
  assert.equal(q.failed, 1);
  const line = logsWith(ks, 'error pulling data from remote servers').find((l) => l['locator'] === block.locator);
  assert.ok(line, 'the failure is logged');
  const [err] = line['errors'] as Array<{ error: string }>;
  assert.match(err!.error, /size mismatch: expected 30, got more/);
  const sent = peer.bytesSent(block.hash);
  t.diagnostic(`the peer sent ${sent} bytes before the connection was dropped`);
  assert.ok(sent < READ_BOUND, `the peer managed to send ${sent} bytes`);
  assert.equal(await hasBlock(ks.volumeRoot(0), block.hash), false);
  await assertNoBadBlocks(ks.volumeRoot(0));
  assert.deepEqual(await volumeFiles(ks.volumeRoot(0)), [], 'no temp file left behind');
});
