/**
 * Connections to peers (packages/server/src/pull/peer-agents.ts, peer-fetch.ts): consecutive
 * pulls reuse kept-alive connections, no more than the bound are open to one peer, idle ones
 * are closed, the connect and idle timeouts still hold, and a kept-alive connection the peer
 * closes just as it is reused costs a retry, not the pull. A fake peer counts TCP connections.
 * Peer slots (pullPerPeerConcurrency) on the same path: a wait given up when the pull is
 * cancelled, a slot given back when the body is done or given up unread.
 */
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { after, test } from 'node:test';
import { PeerAgents } from '../../packages/server/src/pull/peer-agents.ts';
import { fetchFromPeer, PeerFetchError, type PeerFetchOptions } from '../../packages/server/src/pull/peer-fetch.ts';
import type { WorkerToPrimary } from '../../packages/server/src/ipc/messages.ts';
import { PeerSlotClient } from '../../packages/server/src/worker/peer-slot-client.ts';
import { PullPacer } from '../../packages/server/src/worker/pull-pacer.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { makeBlock } from '../helpers/keep-http.ts';
import { startKeepstore, waitFor } from '../helpers/keepstore-process.ts';
import { hasBlock, runPullList } from '../helpers/pull-helpers.ts';

const peers: FakePeer[] = [];
const agentSets: PeerAgents[] = [];
after(async () => {
  for (const a of agentSets) a.destroy();
  for (const p of peers) p.releaseStalled();
  await Promise.all(peers.map((p) => p.close()));
});

async function peer(opts: Parameters<typeof startFakePeer>[0] = {}): Promise<FakePeer> {
  const p = await startFakePeer(opts);
  peers.push(p);
  return p;
}

function options(maxSocketsPerPeer: number, idleMs?: number): PeerFetchOptions {
  const agents = new PeerAgents({ maxSocketsPerPeer, ...(idleMs === undefined ? {} : { idleMs }) });
  agentSets.push(agents);
  return { token: 'token', connectTimeoutMs: 2000, idleTimeoutMs: 500, agents };
}

/** GET one block through fetchFromPeer and read the whole body. */
async function get(p: FakePeer, locator: string, opts: PeerFetchOptions): Promise<Buffer> {
  const body = await fetchFromPeer(p.url, locator, opts);
  return buffer(body.stream);
}

test('consecutive GETs from one peer reuse one connection', async () => {
  const p = await peer();
  const opts = options(4);
  const blocks = Array.from({ length: 10 }, () => makeBlock(50_000));
  for (const b of blocks) p.serve(b.hash, b.data);
  for (const b of blocks) assert.ok((await get(p, b.locator, opts)).equals(b.data));
  assert.equal(p.connections, 1);
});

test('no more than maxSocketsPerPeer connections are open to one peer; the rest wait for one', async () => {
  const p = await peer({ slowChunks: 3, slowDelayMs: 30 });
  const opts = options(2);
  const blocks = Array.from({ length: 8 }, () => makeBlock(20_000));
  for (const b of blocks) p.serve(b.hash, b.data, 'slow');
  const bodies = await Promise.all(blocks.map((b) => get(p, b.locator, opts)));
  for (const [i, data] of bodies.entries()) assert.ok(data.equals(blocks[i]!.data));
  assert.equal(p.peakOpenConnections, 2);
  assert.equal(p.connections, 2);
});

test('an idle connection is closed after idleMs, and the next GET opens a new one', async () => {
  const p = await peer();
  const opts = options(2, 100);
  const b = makeBlock(1000);
  p.serve(b.hash, b.data);
  assert.ok((await get(p, b.locator, opts)).equals(b.data));
  await waitFor(() => p.openConnections === 0, 5000, 'the idle connection closed');
  assert.ok((await get(p, b.locator, opts)).equals(b.data));
  assert.equal(p.connections, 2);
});

test('the connect and idle timeouts hold on kept-alive connections, and a cut one is not reused', async () => {
  const p = await peer();
  const opts = { ...options(1), connectTimeoutMs: 300, idleTimeoutMs: 300 };
  const [hung, stalled, ok] = [makeBlock(1000), makeBlock(100_000), makeBlock(1000)];
  p.serve(hung.hash, hung.data, 'hang');
  p.serve(stalled.hash, stalled.data, 'stall');
  p.serve(ok.hash, ok.data);
  assert.ok((await get(p, ok.locator, opts)).equals(ok.data)); // a kept-alive connection now exists
  await assert.rejects(
    fetchFromPeer(p.url, hung.locator, opts),
    (err) => err instanceof PeerFetchError && /no response within 300 ms/.test(err.message),
  );
  const body = await fetchFromPeer(p.url, stalled.locator, opts);
  await assert.rejects(buffer(body.stream));
  assert.equal(body.abortReason(), 'no data for 300 ms');
  assert.ok((await get(p, ok.locator, opts)).equals(ok.data));
  assert.equal(p.connections, 3, 'the hung and the stalled connection were closed, not handed to the next GET');
});

test('a kept-alive connection the peer closes as it is reused is retried once on a fresh one', async () => {
  const p = await peer({ cutReusedConnections: true });
  const opts = options(1);
  const [a, b] = [makeBlock(1000), makeBlock(1000)];
  p.serve(a.hash, a.data);
  p.serve(b.hash, b.data);
  assert.ok((await get(p, a.locator, opts)).equals(a.data));
  assert.ok((await get(p, b.locator, opts)).equals(b.data));
  assert.equal(p.requests(b.hash), 2, 'cut once, then answered');
  assert.equal(p.connections, 2);
});

test('a connection cut on its first request is not retried: the peer failed', async () => {
  const p = await peer();
  const opts = options(1);
  const b = makeBlock(1000);
  p.serve(b.hash, b.data, 'hang');
  const pending = fetchFromPeer(p.url, b.locator, opts);
  await waitFor(() => p.requests(b.hash) === 1, 5000, 'the request arrived');
  p.releaseStalled();
  await assert.rejects(pending, (err) => err instanceof PeerFetchError && /request failed: ECONNRESET/.test(err.message));
  assert.equal(p.requests(b.hash), 1);
});

test('a pull waiting for a peer slot gives it up when cancelled: the request is withdrawn, the peer never asked', async () => {
  const p = await peer();
  const b = makeBlock(1000);
  p.serve(b.hash, b.data);
  const sent: WorkerToPrimary[] = [];
  const slots = new PeerSlotClient((msg) => sent.push(msg));
  const pacing = new PullPacer(null, slots);
  pacing.set(0, 1); // pullPerPeerConcurrency 1: every transfer asks the primary (here: nobody grants)
  const cancelled = new AbortController();
  const pending = fetchFromPeer(p.url, b.locator, { ...options(2), pacing, cancelled: cancelled.signal });
  cancelled.abort();
  await assert.rejects(pending, (err: unknown) => err instanceof PeerFetchError && /waiting for a peer slot/.test(err.message));
  assert.deepEqual(sent, [
    { type: 'peer:acquire', id: 1, server: p.url },
    { type: 'peer:release', id: 1 }, // the primary drops it from its queue (or frees what it granted meanwhile)
  ]);
  slots.granted(1); // a grant that crossed the withdrawal starts nothing
  assert.equal(p.requests(b.hash), 0);

  // Granted, the slot goes back once when the body is done.
  const granted = fetchFromPeer(p.url, b.locator, { ...options(2), pacing, cancelled: new AbortController().signal });
  slots.granted(2);
  assert.ok((await buffer((await granted).stream)).equals(b.data));
  await waitFor(() => sent.length === 4, 2000, 'the slot released');
  assert.deepEqual(sent.slice(2), [
    { type: 'peer:acquire', id: 2, server: p.url },
    { type: 'peer:release', id: 2 },
  ]);
});

test('a body given up unread gives its peer slot back, also when all of it had arrived', async () => {
  const p = await peer();
  const b = makeBlock(1000);
  p.serve(b.hash, b.data);
  const sent: WorkerToPrimary[] = [];
  const slots: PeerSlotClient = new PeerSlotClient((msg) => {
    sent.push(msg);
    if (msg.type === 'peer:acquire') queueMicrotask(() => slots.granted(msg.id)); // a primary with room
  });
  const pacing = new PullPacer(null, slots);
  pacing.set(0, 1);
  const body = await fetchFromPeer(p.url, b.locator, { ...options(2), pacing });
  // As when store() refuses before reading (a full target): the small body has all come in by then.
  await new Promise((r) => setTimeout(r, 200));
  body.abort();
  await waitFor(() => sent.some((m) => m.type === 'peer:release'), 2000, 'the slot given back');
  assert.deepEqual(sent, [
    { type: 'peer:acquire', id: 1, server: p.url },
    { type: 'peer:release', id: 1 },
  ]);
});

test('a keepstore pulling a list from one peer opens at most pullConcurrency connections to it', async () => {
  const p = await peer();
  const ks = await startKeepstore({ workers: 1, volumeCount: 1, config: { pullConcurrency: 2 } });
  try {
    const blocks = Array.from({ length: 30 }, () => makeBlock(20_000));
    for (const b of blocks) p.serve(b.hash, b.data);
    const queue = await runPullList(
      ks,
      blocks.map((b) => ({ locator: b.locator, servers: [p.url] })),
    );
    assert.equal(queue.failed, 0);
    for (const b of blocks) assert.ok(await hasBlock(ks.volumeRoot(0), b.hash));
    assert.ok(p.connections <= 2, `${p.connections} connections for 30 pulls`);
    assert.ok(p.peakOpenConnections <= 2);
  } finally {
    await ks.destroy();
  }
});
