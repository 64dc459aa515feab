/**
 * Pull limits (README "Pull pacing"), on the real binary with a fake peer: pullBandwidth held
 * over a window, pullPerPeerConcurrency as the peer sees it, live changes by PUT /pull/limits
 * and by a SIGHUP'd config, and bad input refused whole.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { parsePrometheus, sumOf } from '../helpers/http-client.ts';
import { adminHeaders, MGMT_TOKEN, SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, makeBlock, pullEntriesFrom, putPullList, runPullList, send, type Block } from '../helpers/pull-helpers.ts';

let target: Keepstore;
let peer: FakePeer;

before(async () => {
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 2, volumeCount: 2, config: { pullIdleTimeout: '2s', pullConcurrency: 4 } }),
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 4, slowDelayMs: 100 }),
  ]);
});
after(async () => {
  await Promise.all([target?.destroy(), peer?.close()]);
});

interface LimitsJson {
  pullBandwidth: number;
  pullConcurrency: number;
  pullPerPeerConcurrency: number;
  trashConcurrency: number;
  live: string[];
}

function putLimits(body: unknown, path = '/pull/limits'): Promise<{ status: number; text: string }> {
  return send(`${target.url}${path}`, 'PUT', typeof body === 'string' ? body : JSON.stringify(body), adminHeaders);
}

async function getLimits(): Promise<LimitsJson> {
  const res = await send(`${target.url}/pull/limits`, 'GET', undefined, adminHeaders);
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as LimitsJson;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await send(`${target.url}/metrics`, 'GET', undefined, { Authorization: `Bearer ${MGMT_TOKEN}` });
  assert.equal(res.status, 200);
  return sumOf(parsePrometheus(res.text), name, labels);
}

function blocksOn(count: number, size: number, how: 'ok' | 'slow' = 'ok'): Block[] {
  const blocks = Array.from({ length: count }, () => makeBlock(size));
  for (const b of blocks) peer.serve(b.hash, b.data, how);
  return blocks;
}

test('pullBandwidth is held over the whole list, shared by the workers pulling', async (t) => {
  const limit = 3 * 1024 * 1024; // 3 MiB/s for the server
  const res = await putLimits({ pullBandwidth: limit });
  assert.equal(res.status, 200, res.text);
  assert.equal((JSON.parse(res.text) as LimitsJson).pullBandwidth, limit);
  const size = 2 * 1024 * 1024;
  const blocks = blocksOn(8, size); // 16 MiB: about 5 s at the limit
  const total = blocks.length * size;
  const bytesBefore = await metric('keepstore_pull_bytes_total');
  assert.equal((await getStatus(target)).pullQueue.throttled, false, 'nothing pulling: not throttled');
  const started = Date.now();
  const running = runPullList(target, pullEntriesFrom(peer.url, blocks), 60_000);
  // While the workers share the limit, the queue says so (/status.json and the heartbeat).
  await waitFor(async () => (await getStatus(target)).pullQueue.throttled === true, 30_000, 'pullQueue.throttled while pulling');
  const queue = await running;
  const seconds = (Date.now() - started) / 1000;
  assert.equal(queue.failed, 0);
  // Faster than the limit allows is the failure: each worker's bucket may start with a burst
  // (one second of its share, at least 64 KiB); the rest is paced. Slower is only noise.
  const fastest = (total - Math.max(2 * 64 * 1024, limit)) / limit;
  const rate = total / seconds / 1048576;
  t.diagnostic(
    `${total / 1048576} MiB in ${seconds.toFixed(2)} s: ${rate.toFixed(2)} MiB/s against a limit of 3 MiB/s (no faster than ${fastest.toFixed(2)} s)`,
  );
  assert.ok(seconds >= fastest, `${rate.toFixed(2)} MiB/s: over the limit of 3 MiB/s`);
  assert.ok((await metric('keepstore_pull_bytes_total')) - bytesBefore >= total, 'keepstore_pull_bytes_total counts the bytes pulled');
  assert.ok((await metric('keepstore_pull_throttled_seconds_total', { reason: 'bandwidth' })) > 0, 'and the time held back');
  assert.equal((await putLimits({ pullBandwidth: null })).status, 200);
  assert.equal((await getStatus(target)).pullQueue.throttled, false, 'the list is done: not throttled any more');
});

test('pullPerPeerConcurrency is what the peer sees, set and lifted live without a restart', async () => {
  assert.equal((await getLimits()).pullPerPeerConcurrency, 0);
  // Unlimited: two workers with four pulls each overlap on the peer (400 ms per block).
  peer.resetConcurrency();
  await runPullList(target, pullEntriesFrom(peer.url, blocksOn(12, 4096, 'slow')), 30_000);
  const unlimited = peer.maxConcurrent;
  assert.ok(unlimited > 2, `without a limit ${unlimited} at once`);

  const res = await putLimits({ pullPerPeerConcurrency: 2 });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual((JSON.parse(res.text) as LimitsJson).live, ['pullPerPeerConcurrency']);
  peer.resetConcurrency();
  const entries = pullEntriesFrom(peer.url, blocksOn(12, 4096, 'slow'));
  const put = await putPullList(target, entries);
  assert.equal(put.status, 200);
  const inUse = await waitFor(async () => {
    const status = JSON.parse((await send(`${target.url}/status.json`, 'GET', undefined, adminHeaders)).text);
    return status.throttle.peerSlots[peer.url] > 0 ? status : undefined;
  });
  assert.ok(inUse.throttle.peerSlots[peer.url] <= 2);
  assert.equal(inUse.limits.pullPerPeerConcurrency, 2);
  await waitFor(
    async () => (await getStatus(target)).pullQueue.inProgress === 0 && (await getStatus(target)).pullQueue.queued === 0,
    30_000,
  );
  assert.equal(peer.maxConcurrent, 2, 'never more than 2 transfers from the peer at once');
  assert.equal(await metric('keepstore_pull_peer_slots_in_use'), 0, 'every slot given back');

  assert.equal((await putLimits({ pullPerPeerConcurrency: null })).status, 200);
  assert.deepEqual((await getLimits()).live, []);
});

test('pullConcurrency and trashConcurrency change the dispatch at once', async () => {
  let res = await putLimits({ pullConcurrency: 1 });
  assert.equal(res.status, 200, res.text);
  peer.resetConcurrency();
  await runPullList(target, pullEntriesFrom(peer.url, blocksOn(6, 4096, 'slow')), 30_000);
  assert.ok(peer.maxConcurrent <= 2, `one pull per worker, two workers: ${peer.maxConcurrent} at once`);
  res = await putLimits({ trashConcurrency: 7, pullConcurrency: null }, '/trash/limits');
  assert.equal(res.status, 200, res.text);
  const limits = JSON.parse(res.text) as LimitsJson;
  assert.equal(limits.trashConcurrency, 7);
  assert.equal(limits.pullConcurrency, 4, 'back to the config');
  assert.equal(await metric('keepstore_limit', { limit: 'trashConcurrency' }), 7);
  assert.equal((await putLimits({ trashConcurrency: null })).status, 200);
});

test('bad input to PUT /pull/limits gets a 400 naming the field and changes nothing', async () => {
  const before = await getLimits();
  for (const [body, field] of [
    [{ pullBandwidth: -1 }, /pullBandwidth/],
    [{ pullBandwidth: 1000, pullConcurrency: 0 }, /pullConcurrency/],
    [{ pullPerPeerConcurrency: 'two' }, /pullPerPeerConcurrency/],
    [{ pullBandwith: 1000 }, /pullBandwith: not a limit/],
    [[{ pullBandwidth: 1 }], /body/],
    ['{"pullBandwidth": ', /not JSON/],
  ] as const) {
    const res = await putLimits(body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.status} ${res.text}`);
    assert.match(res.text, field);
  }
  assert.deepEqual(await getLimits(), before, 'nothing changed, not even the good field of a bad body');
  const anonymous = await send(`${target.url}/pull/limits`, 'PUT', '{"pullBandwidth":1}');
  assert.equal(anonymous.status, 401);
});

test('a SIGHUP config changes the limits not set live; a live one wins until cleared', async () => {
  assert.equal((await putLimits({ pullBandwidth: 5_000_000 })).status, 200);
  const config = JSON.parse(await readFile(target.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(target.configPath, JSON.stringify({ ...config, pullBandwidth: 1_000_000, trashConcurrency: 3 }));
  const reloads = target.logs.filter((l) => l.message === 'reload complete').length;
  target.proc.kill('SIGHUP');
  await target.waitForLog(() => target.logs.filter((l) => l.message === 'reload complete').length > reloads, 60_000);
  const limits = await getLimits();
  assert.equal(limits.trashConcurrency, 3, 'from the reloaded config');
  assert.equal(limits.pullBandwidth, 5_000_000, 'the live value wins');
  assert.equal((await putLimits({ pullBandwidth: null })).status, 200);
  assert.equal((await getLimits()).pullBandwidth, 1_000_000, 'cleared: the config value');
});
