/**
 * The primary SIGKILLed (OOM killer, `kill -9`) while workers serve uploads: node:cluster's
 * default would make every worker exit on the spot and cut them. The workers must stop
 * listening at once (a restarted server can bind the port), finish what they serve, cut what
 * is still running when the grace period ends, and leave no process behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { adminHeaders, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { bearer, filesFor, makeBlock, openHalfUpload, request } from '../helpers/keep-http.ts';
import { pidAlive } from '../helpers/spawn-bin.ts';

const TOKEN = 'primary-killed-test-token';

/** Resolves once `port` could be listened on (and released again) on 127.0.0.1. */
function bindOnce(port: number): Promise<true> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

let ks: Keepstore;
after(() => ks?.destroy());

test('primary SIGKILLed: the port is free at once, an upload in flight completes, a stalled one is cut at the grace period, no worker remains', {
  timeout: 90_000,
}, async () => {
  ks = await startKeepstore({ workers: 2, volumeCount: 2, config: { shutdownGracePeriod: '10s' } });
  const status = JSON.parse((await request(`${ks.url}/status.json`, { headers: adminHeaders })).body.toString());
  const pids = (status.workers as Array<{ pid: number }>).map((w) => w.pid);
  assert.equal(pids.length, 2);
  const roots = [ks.volumeRoot(0), ks.volumeRoot(1)];
  const served = makeBlock(1024 * 1024);
  const stalled = makeBlock(1024 * 1024);
  const upload = openHalfUpload(ks.url, served, bearer(TOKEN));
  const stuck = openHalfUpload(ks.url, stalled, bearer(TOKEN));
  const stuckOutcome = stuck.response.then(
    (res) => `answered ${res.status}`,
    (err: Error) => `cut: ${err.message}`,
  );
  await waitFor(
    async () => (await filesFor(roots, served.hash)).length > 0 && (await filesFor(roots, stalled.hash)).length > 0,
    10_000,
    'both uploads to start',
  );

  ks.proc.kill('SIGKILL');
  await waitFor(
    () => ks.logs.filter((l) => l.message === 'worker stopping' && l['reason'] === 'primary gone').length === 2,
    10_000,
    'both workers to stop',
  );
  // Nothing listens any more although two uploads are still being served.
  await waitFor(() => bindOnce(ks.port), 5_000, 'the port to be free');

  upload.finish();
  const res = await upload.response;
  assert.equal(res.status, 200, res.body);
  assert.match(res.body, new RegExp(`^${served.hash}\\+${served.data.length}\\+A`));
  const stored = (await filesFor(roots, served.hash)).filter((f) => path.basename(f) === served.hash);
  assert.equal(stored.length, 1);
  assert.ok((await fs.readFile(stored[0]!)).equals(served.data));

  // The stalled upload holds its worker only until the grace period ends.
  assert.match(await stuckOutcome, /^cut: /);
  await waitFor(() => pids.every((pid) => !pidAlive(pid)), 20_000, 'every worker to exit');
  assert.ok(ks.logs.some((l) => l.message === 'grace period over, closing remaining connections'));
  assert.equal(await bindOnce(ks.port), true);
});
