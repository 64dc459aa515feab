import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { adminHeaders, MGMT_TOKEN, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { parsePrometheus, request, rssBytes, sumOf } from '../helpers/http-client.ts';
import { openUpload } from '../helpers/keep-http.ts';

const TOKEN = 'overload-test-token';
const auth = { Authorization: `Bearer ${TOKEN}` };
const mgmt = { Authorization: `Bearer ${MGMT_TOKEN}` };

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

function writeAndWait(req: http.ClientRequest, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve())));
}

async function gauge(ks: Keepstore, name: string): Promise<number> {
  const res = await request(`${ks.url}/metrics`, { headers: mgmt });
  assert.equal(res.status, 200);
  return sumOf(parsePrometheus(res.body.toString()), name);
}

describe('tiny limits (1 running, 1 waiting per worker)', () => {
  let ks: Keepstore;
  before(async () => {
    ks = await startKeepstore({ workers: 1, config: { maxConcurrentRequests: 1, maxQueuedRequests: 1 } });
  });
  after(() => ks.destroy());

  test('a third block request is refused at once; health, metrics and status stay reachable', async () => {
    const blockA = randomBytes(64 * 1024);
    const blockB = randomBytes(64 * 1024);
    const a = openUpload(`${ks.url}/${md5(blockA)}`, blockA.length);
    await writeAndWait(a.req, blockA.subarray(0, 1000));
    await waitFor(async () => (await gauge(ks, 'keepstore_http_requests_in_progress')) === 1, 5_000, 'upload A running');
    const b = openUpload(`${ks.url}/${md5(blockB)}`, blockB.length);
    await writeAndWait(b.req, blockB.subarray(0, 1000));
    await waitFor(async () => (await gauge(ks, 'keepstore_http_requests_queued')) === 1, 5_000, 'upload B queued');

    // A and B hold the slot and the queue place until they are ended below: an answer now can
    // only be a refusal at once (no clock needed; a timed bound fails on a loaded machine).
    const refused = await request(`${ks.url}/${md5(Buffer.from('x'))}`, { method: 'PUT', body: Buffer.from('x') });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.toString(), 'server busy\n');
    assert.equal(refused.headers['connection'], 'close');
    assert.equal((await request(`${ks.url}/index`, { headers: adminHeaders })).status, 503);

    assert.equal((await request(`${ks.url}/_health/ping`, { headers: mgmt })).status, 200);
    assert.equal((await request(`${ks.url}/status.json`, { headers: adminHeaders })).status, 200);
    assert.equal((await request(`${ks.url}/mounts`, { headers: adminHeaders })).status, 200);

    a.req.end(blockA.subarray(1000));
    b.req.end(blockB.subarray(1000));
    assert.equal((await a.response).status, 200);
    assert.equal((await b.response).status, 200); // the waiter got the slot
    await waitFor(async () => (await gauge(ks, 'keepstore_http_requests_in_progress')) === 0, 5_000, 'slots freed');
    assert.equal(await gauge(ks, 'keepstore_http_requests_queued'), 0);
  });

  test('a waiter whose client goes away leaves the queue', async () => {
    const block = randomBytes(4096);
    const a = openUpload(`${ks.url}/${md5(block)}`, block.length);
    await writeAndWait(a.req, block.subarray(0, 10));
    await waitFor(async () => (await gauge(ks, 'keepstore_http_requests_in_progress')) === 1, 5_000, 'upload running');
    const gone = openUpload(`${ks.url}/${md5(block)}`, block.length);
    gone.response.catch(() => undefined);
    await writeAndWait(gone.req, block.subarray(0, 10));
    await waitFor(async () => (await gauge(ks, 'keepstore_http_requests_queued')) === 1, 5_000, 'waiter queued');
    gone.req.destroy();
    await waitFor(async () => (await gauge(ks, 'keepstore_http_requests_queued')) === 0, 5_000, 'waiter removed');
    a.req.end(block.subarray(10));
    assert.equal((await a.response).status, 200);
  });
});

describe('a burst against tiny limits on two workers', () => {
  let ks: Keepstore;
  before(async () => {
    ks = await startKeepstore({ workers: 2, config: { maxConcurrentRequests: 1, maxQueuedRequests: 1 } });
  });
  after(() => ks.destroy());

  test('some requests get 503, every other one succeeds with the right bytes', async () => {
    const block = randomBytes(8 * 1024 * 1024);
    const put = await request(`${ks.url}/${md5(block)}`, { method: 'PUT', body: block, headers: auth });
    assert.equal(put.status, 200);
    const locator = put.body.toString().trim();
    const burst = await Promise.all(Array.from({ length: 40 }, () => request(`${ks.url}/${locator}`, { headers: auth })));
    const ok = burst.filter((r) => r.status === 200);
    const busy = burst.filter((r) => r.status === 503);
    assert.equal(ok.length + busy.length, burst.length, `unexpected statuses ${burst.map((r) => r.status).join(',')}`);
    assert.ok(busy.length > 0, 'the burst should overflow 2 x (1 running + 1 waiting)');
    assert.ok(ok.length >= 2, 'requests within the limits succeed');
    for (const r of ok) assert.equal(md5(r.body), md5(block));
    const m = parsePrometheus((await request(`${ks.url}/metrics`, { headers: mgmt })).body.toString());
    assert.equal(sumOf(m, 'keepstore_http_requests_total', { method: 'GET', code: '503' }), busy.length);
  });
});

describe('200 slow uploads at once', () => {
  const CLIENTS = 200;
  // Spread over 3 workers, ~67 uploads each: buffering bodies would cost a worker ~270 MiB on
  // top of its ~100 MiB baseline; streaming holds at most ~1.4 MiB per upload (the file sink
  // writes in 1 MiB batches), ~90 MiB.
  const WORKERS = 3;
  const BLOCK = 4 * 1024 * 1024;
  const HELD_BACK = 64 * 1024; // each client stops this short of the end until all are in
  const RSS_BOUND = 300 * 1024 * 1024;
  let ks: Keepstore;
  before(async () => {
    // Every upload comes from this one address: lift the per-client cap above them all.
    ks = await startKeepstore({ workers: WORKERS, volumeCount: 2, config: { maxRequestsPerClient: CLIENTS } });
  });
  after(() => ks.destroy());

  test('worker memory stays bounded while every body is almost fully sent', async (t) => {
    const shared = randomBytes(BLOCK - 16);
    const uploads = Array.from({ length: CLIENTS }, (_, i) => {
      const head = Buffer.alloc(16);
      head.writeUInt32BE(i);
      const hash = createHash('md5').update(head).update(shared).digest('hex');
      return { head, ...openUpload(`${ks.url}/${hash}`, BLOCK) };
    });
    // Trickle the bodies in 64 KiB pieces, all clients interleaved, up to HELD_BACK short.
    for (const u of uploads) await writeAndWait(u.req, u.head);
    for (let off = 0; off < shared.length - HELD_BACK; off += 64 * 1024) {
      const end = Math.min(off + 64 * 1024, shared.length - HELD_BACK);
      await Promise.all(uploads.map((u) => writeAndWait(u.req, shared.subarray(off, end))));
    }
    // A written body may still sit in kernel socket buffers of a connection no worker has
    // accepted yet (the kernel hands connections out): wait until every upload is being served.
    const inFlight = await waitFor(
      async () => {
        const n = await gauge(ks, 'keepstore_http_requests_in_progress');
        return n === CLIENTS ? n : undefined;
      },
      15_000,
      'every upload to be in progress',
    ).catch(() => gauge(ks, 'keepstore_http_requests_in_progress'));
    const status = JSON.parse((await request(`${ks.url}/status.json`, { headers: adminHeaders })).body.toString());
    const pids = (status.workers as Array<{ pid: number }>).map((w) => w.pid);
    const rss = await Promise.all(pids.map(rssBytes));
    for (const u of uploads) u.req.end(shared.subarray(shared.length - HELD_BACK));
    const statuses = await Promise.all(uploads.map(async (u) => (await u.response).status));

    t.diagnostic(`worker RSS with ${CLIENTS} uploads in flight: ${rss.map((b) => `${(b / 2 ** 20).toFixed(0)} MiB`).join(', ')}`);
    assert.equal(inFlight, CLIENTS, 'every upload was in progress when memory was measured');
    for (const [i, bytes] of rss.entries()) {
      assert.ok(bytes < RSS_BOUND, `worker ${pids[i]} RSS ${(bytes / 2 ** 20).toFixed(0)} MiB with ${CLIENTS} uploads in flight`);
    }
    assert.deepEqual(new Set(statuses), new Set([200]));
  });
});
