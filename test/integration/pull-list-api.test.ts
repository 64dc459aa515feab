/**
 * PUT /pull as an API: admin token required (401/403), 400 naming the bad entry with the
 * current list kept (server URLs with credentials, a query or a fragment, and more servers
 * than MAX_PULL_SERVERS included), also for an entry deep in a long list (the body is read
 * as a stream), a list over maxListEntries is refused 413 naming the bound (pull and trash)
 * with the current list kept, [] and null clear it, a 100 000-entry list is accepted and
 * shown queued in /status.json, and the entries logged at debug level carry no signature.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_PULL_SERVERS, signLocator } from '../../packages/protocol/src/index.ts';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { adminHeaders, SIGNING_KEY, startKeepstore, type Keepstore } from '../helpers/keepstore-process.ts';
import { getStatus, logsWith, makeBlock, putPullList, send, waitForPullIdle, type PullEntryJson } from '../helpers/pull-helpers.ts';

/** This server's maxListEntries: above the 100 000-entry list below. */
const MAX_ENTRIES = 150_000;

let target: Keepstore;
let peer: FakePeer; // answers nothing at all: pulls stay in flight, the rest stays queued

before(async () => {
  [target, peer] = await Promise.all([
    startKeepstore({ workers: 2, volumeCount: 2, config: { pullConnectTimeout: '60s', pullConcurrency: 2, maxListEntries: MAX_ENTRIES } }),
    startFakePeer({ signingKey: SIGNING_KEY, unknown: 'hang' }),
  ]);
});
after(async () => {
  await peer?.close(); // cuts the hung pulls so the workers stop at once
  await target?.destroy();
});

const entries = (n: number): PullEntryJson[] =>
  Array.from({ length: n }, (_, i) => ({ locator: `${i.toString(16).padStart(32, '0')}+${1000 + i}`, servers: [peer.url] }));

test('a 100 000-entry list is accepted and shown queued', async (t) => {
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
  t.diagnostic(`accepted in ${ms} ms`);
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
    [
      'credentials',
      [ok, { locator: good.locator, servers: [peer.url, 'http://keep:s3cr3t-pw@keep.example'] }],
      /^entry 1: servers\[1\] must not carry credentials/,
    ],
    [
      'a query',
      [{ locator: good.locator, servers: [`${peer.url}/?api_token=s3cr3t-pw`] }],
      /^entry 0: servers\[0\] must not have a query or a fragment/,
    ],
    ['a fragment', [{ locator: good.locator, servers: [`${peer.url}#x`] }], /^entry 0: servers\[0\] must not have a query or a fragment/],
    [
      'too many servers',
      [ok, ok, { locator: good.locator, servers: Array.from({ length: MAX_PULL_SERVERS + 1 }, (_, i) => `http://keep${i}.example`) }],
      new RegExp(`^entry 2: servers has ${MAX_PULL_SERVERS + 1} URLs, at most ${MAX_PULL_SERVERS} are allowed`),
    ],
  ];
  const before = (await getStatus(target)).pullQueue.listSize;
  assert.ok(before > 0);
  for (const [name, body, message] of cases) {
    const res = await putPullList(target, body);
    assert.equal(res.status, 400, name);
    assert.match(res.text, message, name);
    assert.equal((await getStatus(target)).pullQueue.listSize, before, `${name}: list kept`);
  }
  assert.ok(!JSON.stringify(target.logs).includes('s3cr3t-pw'), 'no credential of a refused URL is logged');
});

test('an entry wrong deep in a long list: 400 naming it, though the entries before it already went to the primary; the list is kept', async () => {
  const before = (await getStatus(target)).pullQueue.listSize;
  assert.ok(before > 0);
  const list = entries(140_000);
  list[123_456] = { locator: list[123_456]!.locator, servers: ['ftp://keep.example'] };
  const res = await putPullList(target, list);
  assert.equal(res.status, 400, res.text);
  assert.match(res.text, /^entry 123456: servers\[0\].*not an http/);
  assert.equal((await getStatus(target)).pullQueue.listSize, before, 'list kept');
});

test('a list over maxListEntries: 413 naming the bound (pull and trash); the current lists are kept', async () => {
  const pullBefore = (await getStatus(target)).pullQueue.listSize;
  assert.ok(pullBefore > 0);
  const trashEntry = (i: number) => `{"locator":"${i.toString(16).padStart(32, '0')}+3","block_mtime":1}`;
  const trashBody = (n: number) => `[${Array.from({ length: n }, (_, i) => trashEntry(i)).join(',')}]`;
  assert.equal((await send(`${target.url}/trash`, 'PUT', trashBody(3), adminHeaders)).status, 200);
  const pull = await putPullList(target, entries(MAX_ENTRIES + 1));
  assert.equal(pull.status, 413, pull.text);
  assert.match(pull.text, new RegExp(`more than ${MAX_ENTRIES} entries \\(maxListEntries\\)`));
  const trash = await send(`${target.url}/trash`, 'PUT', trashBody(MAX_ENTRIES + 1), adminHeaders);
  assert.equal(trash.status, 413, trash.text);
  assert.match(trash.text, new RegExp(`more than ${MAX_ENTRIES} entries`));
  const status = await getStatus(target);
  assert.equal(status.pullQueue.listSize, pullBefore, 'pull list kept');
  assert.equal(status.trashQueue.listSize, 3, 'trash list kept');
  assert.equal((await send(`${target.url}/trash`, 'PUT', '[]', adminHeaders)).status, 200);
});

test('pull and trash lists with signed locators are logged at debug level without their signatures', async () => {
  const blocks = [makeBlock(11), makeBlock(12)];
  const signed = blocks.map((b) => signLocator(b.locator, 'some-user-token', Math.floor(Date.now() / 1000) + 3600, 1209600, SIGNING_KEY));
  const signatures = signed.map((s) => s.slice(s.indexOf('+A') + 2, s.indexOf('@')));
  const pull = await putPullList(
    target,
    signed.map((locator) => ({ locator, servers: [peer.url] })),
  );
  assert.equal(pull.status, 200, pull.text);
  const trash = await send(
    `${target.url}/trash`,
    'PUT',
    JSON.stringify(signed.map((locator) => ({ locator, block_mtime: 1 }))),
    adminHeaders,
  );
  assert.equal(trash.status, 200, trash.text);
  await target.waitForLog((l) => l.message === 'trash list entries');
  const listed = JSON.stringify([...logsWith(target, 'pull list entries'), ...logsWith(target, 'trash list entries')]);
  for (const b of blocks) assert.ok(listed.includes(b.locator), `${b.locator} is logged`);
  const all = JSON.stringify(target.logs);
  for (const sig of signatures) assert.ok(!all.includes(sig), 'no signature in any log line');
  assert.equal((await putPullList(target, [])).status, 200);
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
