/**
 * Clients that hold on to a block request without making progress, against the real server:
 * a GET whose client stops reading and a PUT that trickles are cut after requestIdleTimeout
 * (their slot, and the GET's open file, are free again), a slow but steady PUT is not, and
 * one client address cannot hold more than maxRequestsPerClient requests (429 beyond).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { adminHeaders, MGMT_TOKEN, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { bearer, blockFile, filesFor, makeBlock, openUpload, request, sign } from '../helpers/keep-http.ts';
import { parsePrometheus, sumOf } from '../helpers/http-client.ts';
import { rawConnect } from '../helpers/raw-http.ts';

const TOKEN = 'slow-client-test-token';
const IDLE_MS = 1000;

async function metric(ks: Keepstore, name: string, match: Record<string, string> = {}): Promise<number> {
  const res = await request(`${ks.url}/metrics`, { headers: bearer(MGMT_TOKEN) });
  assert.equal(res.status, 200);
  return sumOf(parsePrometheus(res.body.toString()), name, match);
}

const inProgress = (ks: Keepstore) => metric(ks, 'keepstore_http_requests_in_progress');

/** File descriptors of process `pid` open on `file`. */
async function openDescriptors(pid: number, file: string): Promise<number> {
  const fds = await fs.readdir(`/proc/${pid}/fd`);
  const targets = await Promise.all(fds.map((fd) => fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t === file).length;
}

describe(`requestIdleTimeout ${IDLE_MS} ms`, () => {
  let ks: Keepstore;
  before(async () => {
    ks = await startKeepstore({ workers: 1, volumeCount: 1, config: { requestIdleTimeout: `${IDLE_MS}ms` } });
  });
  after(() => ks?.destroy());

  test('a GET whose client stops reading is cut: slot and file released, logged, counted', async () => {
    // Larger than what the kernel buffers on both ends of a loopback connection can absorb.
    const b = makeBlock(48 * 1024 * 1024);
    assert.equal((await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data })).status, 200);
    const status = JSON.parse((await request(`${ks.url}/status.json`, { headers: adminHeaders })).body.toString());
    const pid = (status.workers as Array<{ pid: number }>)[0]!.pid;
    const file = blockFile(ks.volumeRoot(0), b.hash);

    const conn = await rawConnect(ks.port);
    conn.socket.pause(); // never reads a byte
    await conn.write(`GET /${sign(b.locator, TOKEN)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    await waitFor(async () => (await openDescriptors(pid, file)) > 0, 5_000, 'the block file open in the worker');
    assert.equal(await inProgress(ks), 1);

    // Before the fix nothing ever came of it: the request held its slot and file for good.
    const warn = await ks.waitForLog((l) => l.message === 'request idle timeout' && l['direction'] === 'sending', 10_000);
    assert.equal(warn['idleMs'], IDLE_MS);
    await waitFor(async () => (await inProgress(ks)) === 0, 5_000, 'slot released');
    await waitFor(async () => (await openDescriptors(pid, file)) === 0, 5_000, 'file closed');
    assert.equal(await metric(ks, 'keepstore_http_idle_timeouts_total', { direction: 'sending' }), 1);
    conn.socket.resume(); // the client finds the connection closed, the block cut short
    const { text } = await conn.closed;
    assert.ok(text.length < b.data.length, 'the response was cut off');
    assert.ok(!String(warn['path']).includes('+A'), 'no signature in the log');
    const line = await ks.waitForLog((l) => l.message === 'request' && l['method'] === 'GET' && l['requestId'] === warn['requestId']);
    assert.equal(line['status'], 408);
  });

  test('a PUT that trickles (a byte every 100 ms) is cut: slot released, no temp file left', async () => {
    const b = makeBlock(4096);
    const conn = await rawConnect(ks.port);
    await conn.write(`PUT /${b.hash} HTTP/1.1\r\nHost: x\r\nContent-Length: ${b.data.length}\r\n\r\n`);
    let sent = 0;
    const trickle = setInterval(() => {
      if (!conn.socket.destroyed && sent < b.data.length) conn.socket.write(b.data.subarray(sent, ++sent));
    }, 100);
    try {
      await ks.waitForLog((l) => l.message === 'request idle timeout' && l['direction'] === 'receiving', 10_000);
      const { text } = await conn.closed;
      assert.equal(text, '', 'cut without an answer');
    } finally {
      clearInterval(trickle);
    }
    assert.ok(sent < 100, `cut after ${sent} bytes, well before the 4096 s it would take`);
    await waitFor(async () => (await inProgress(ks)) === 0, 5_000, 'slot released');
    assert.equal(await metric(ks, 'keepstore_http_idle_timeouts_total', { direction: 'receiving' }), 1);
    await waitFor(async () => (await filesFor([ks.volumeRoot(0)], b.hash)).length === 0, 5_000, 'temp file removed');
  });

  test('a slow but steady PUT (64 KiB every 100 ms, three times the timeout in all) completes', async () => {
    const b = makeBlock(2 * 1024 * 1024);
    const conn = await rawConnect(ks.port);
    await conn.write(`PUT /${b.hash} HTTP/1.1\r\nHost: x\r\nContent-Length: ${b.data.length}\r\n\r\n`);
    for (let off = 0; off < b.data.length; off += 64 * 1024) {
      await conn.write(b.data.subarray(off, off + 64 * 1024));
      await new Promise((r) => setTimeout(r, 100));
    }
    const text = await conn.waitForText(/\r\n\r\n[0-9a-f]{32}\+2097152\n$/);
    assert.match(text, /^HTTP\/1\.1 200 /);
    conn.socket.destroy();
  });
});

describe('maxRequestsPerClient 2 (1 running, up to 4 waiting per worker)', () => {
  let ks: Keepstore;
  before(async () => {
    ks = await startKeepstore({
      workers: 1,
      volumeCount: 1,
      config: { maxRequestsPerClient: 2, maxConcurrentRequests: 1, maxQueuedRequests: 4 },
    });
  });
  after(() => ks?.destroy());

  /** One running and one waiting upload of this client, then a third that must be refused. */
  async function fillAndOverflow(): Promise<void> {
    const a = makeBlock(4096);
    const b = makeBlock(4096);
    const up1 = openUpload(`${ks.url}/${a.hash}`, a.data.length);
    up1.req.write(a.data.subarray(0, 10));
    await waitFor(async () => (await inProgress(ks)) === 1, 5_000, 'first upload running');
    const up2 = openUpload(`${ks.url}/${b.hash}`, b.data.length);
    up2.req.write(b.data.subarray(0, 10));
    await waitFor(async () => (await metric(ks, 'keepstore_http_requests_queued')) === 1, 5_000, 'second upload waiting');

    const c = makeBlock(10);
    const refused = await request(`${ks.url}/${c.hash}`, { method: 'PUT', body: c.data, timeoutMs: 5_000 });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.toString(), 'too many requests from this address\n');
    assert.equal(refused.headers['connection'], 'close');
    assert.equal((await request(`${ks.url}/_health/ping`, { headers: bearer(MGMT_TOKEN) })).status, 200, 'health is not capped');

    up1.req.end(a.data.subarray(10));
    up2.req.end(b.data.subarray(10));
    assert.equal((await up1.response).status, 200);
    assert.equal((await up2.response).status, 200);
  }

  test('a third request of one address is refused with 429 while two are held; the count is exact afterwards', async () => {
    await fillAndOverflow();
    await waitFor(async () => (await inProgress(ks)) === 0, 5_000, 'slots freed');
    // Every place was given back exactly once: the same pattern again (a leak would refuse
    // the first or second upload, a double release would admit the third).
    await fillAndOverflow();
  });
});
