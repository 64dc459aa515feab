/**
 * PUT /pull as an API: admin token required (401/403), 400 naming the bad entry with the
 * current list kept, [] and null clear it, and a 100 000-entry list is accepted and shown
 * queued in /status.json.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { SIGNING_KEY, startKeepstore, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, makeBlock, putPullList, waitForPullIdle, type PullEntryJson } from '../helpers/pull-helpers.ts';

let target: Keepstore;
let peer: FakePeer; // answers nothing at all: pulls stay in flight, the rest stays queued

before(async () => {
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 2, volumeCount: 2, config: { pullConnectTimeout: '60s', pullConcurrency: 2 } }),
    startFakePeer({ signingKey: SIGNING_KEY, unknown: 'hang' }),
  ]);
});
after(async () => {
  await peer?.close(); // cuts the hung pulls so the workers stop at once
  await target?.destroy();
});

const entries = (n: number): PullEntryJson[] =>
  Array.from({ length: n }, (_, i) => ({ locator: `${i.toString(16).padStart(32, '0')}+${1000 + i}`, servers: [peer.url] }));

test('a 100 000-entry list is accepted and shown queued', async () => {
  const started = Date.now();
  const res = await putPullList(target, entries(100_000));
  const ms = Date.now() - started;
  assert.equal(res.status, 200, res.text);
  assert.match(res.text, /100000/);
  const { pullQueue: q, workers } = await getStatus(target);
  assert.equal(q.listSize, 100_000);
  assert.equal(q.queued + q.inProgress, 100_000);
  assert.ok(q.inProgress <= 4, `at most pullConcurrency per worker in flight (${q.inProgress})`);
  assert.ok(q.listAgeSeconds >= 0);
  for (const w of workers) assert.ok(Array.isArray(w.pulling));
  assert.ok(ms < 10_000, `accepted in ${ms} ms`);
});

test('admin token required: 401 without, 403 with another; the list is kept', async () => {
  const before = (await getStatus(target)).pullQueue.listSize;
  const none = await putPullList(target, [], {});
  assert.equal(none.status, 401);
  const other = await putPullList(target, [], { Authorization: 'Bearer not-the-root-token' });
  assert.equal(other.status, 403);
  assert.equal((await getStatus(target)).pullQueue.listSize, before);
});

test('bad lists are refused with 400 naming the entry, and the current list is kept', async () => {
  const good = makeBlock(10);
  const ok = { locator: good.locator, servers: [peer.url] };
  const cases: Array<[string, string | PullEntryJson[], RegExp]> = [
    ['malformed JSON', '[{"locator": ', /malformed JSON/],
    ['not an array', '{"locator": "x"}', /JSON array/],
    ['no size hint', JSON.stringify([ok, { locator: good.hash, servers: [peer.url] }]), /^entry 1: .*no size hint/],
    ['invalid locator', [ok, ok, { locator: 'not-a-locator+3', servers: [peer.url] }], /^entry 2: invalid locator/],
    ['non-http server', [{ locator: good.locator, servers: ['ftp://keep.example:25107'] }], /^entry 0: servers\[0\].*not an http/],
    ['no servers', [{ locator: good.locator, servers: [] }], /^entry 0: servers must not be empty/],
  ];
  const before = (await getStatus(target)).pullQueue.listSize;
  assert.ok(before > 0);
  for (const [name, body, message] of cases) {
    const res = await putPullList(target, body);
    assert.equal(res.status, 400, name);
    assert.match(res.text, message, name);
    assert.equal((await getStatus(target)).pullQueue.listSize, before, `${name}: list kept`);
  }
});

test('[] and null clear the list: nothing queued, in-flight pulls finish', async () => {
  for (const body of [[], null] as const) {
    assert.equal((await putPullList(target, entries(50))).status, 200);
    assert.equal((await getStatus(target)).pullQueue.listSize, 50);
    const res = await putPullList(target, body);
    assert.equal(res.status, 200, res.text);
    const q = (await getStatus(target)).pullQueue;
    assert.equal(q.listSize, 0);
    assert.equal(q.queued, 0);
  }
  peer.releaseStalled(); // the hung pulls fail now
  await waitForPullIdle(target);
});
