/**
 * Operator control of the pull list on the real binary (README "Pull lists", Watching and
 * steering a list): pause stops dispatching but keeps the list and lets pulls in flight
 * finish, a list sent while paused stays paused, resume carries on; GET /pull shows the
 * progress, what is in flight and why blocks failed, per server; all of it survives a worker
 * SIGKILL (the primary holds it); bad input changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { parsePrometheus, sumOf } from '../helpers/http-client.ts';
import { adminHeaders, freePort, MGMT_TOKEN, SIGNING_KEY, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { listProgress, setPaused } from '../helpers/list-control.ts';
import { getStatus, hasBlock, makeBlock, putPullList, pullEntriesFrom, send, waitForPullIdle } from '../helpers/pull-helpers.ts';

let ks: Keepstore;
let peer: FakePeer;

before(async () => {
  [ks, peer] = await Promise.all([
    startKeepstore({ workers: 2, volumeCount: 1, config: { pullConcurrency: 1 } }),
    // 256 KiB in 8 pieces 100 ms apart: a pull takes ~0.8 s, long enough to be seen in flight.
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 8, slowDelayMs: 100 }),
  ]);
});
after(async () => {
  await peer?.close();
  await ks?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('pause keeps the list and lets pulls in flight finish; a list sent while paused stays paused; resume carries on', async (t) => {
  const blocks = Array.from({ length: 8 }, () => makeBlock(256 * 1024));
  for (const b of blocks) peer.serve(b.hash, b.data, 'slow');
  assert.equal((await putPullList(ks, pullEntriesFrom(peer.url, blocks))).status, 200);
  // In flight, each with the server it asks (reported by its worker once the request goes out).
  await waitFor(
    async () => {
      const { inFlight } = await listProgress(ks);
      return inFlight.length > 0 && inFlight.every((j) => j.server === peer.url);
    },
    10_000,
    'pulls in flight',
  );

  assert.deepEqual(await setPaused(ks, 'pull', 'pause'), { kind: 'pull', paused: true });
  const atPause = await listProgress(ks);
  assert.equal(atPause.paused, true);
  const inFlight = atPause.inFlight.map((j) => j.locator);
  for (const job of atPause.inFlight) {
    assert.equal(job.mount, 'zzzzz-nyw5e-000000000000000');
    assert.ok(job.server === peer.url || job.server === null, 'the server being asked, once reported');
    assert.ok(job.worker === 0 || job.worker === 1);
    assert.ok(Number.isFinite(Date.parse(job.since)) && job.seconds >= 0);
  }
  // The pulls in flight finish; nothing else starts.
  const drained = await waitFor(async () => {
    const p = await listProgress(ks);
    return p.inProgress === 0 ? p : undefined;
  }, 20_000);
  await sleep(1_500); // room for a wrong dispatch to show
  const paused = await listProgress(ks);
  assert.equal(paused.progress.done, drained.progress.done);
  assert.ok(paused.progress.done >= inFlight.length, 'every pull in flight at the pause finished');
  assert.equal(paused.progress.total, blocks.length, 'the list is kept');
  assert.equal(paused.queued, blocks.length - paused.progress.done);
  assert.equal(paused.progress.etaSeconds, null, 'no time left while paused');
  const started = blocks.filter((b) => peer.requests(b.hash) > 0);
  assert.equal(started.length, paused.progress.done, 'no pull started while paused');
  const status = (await getStatus(ks)) as unknown as { pullQueue: { paused: boolean; progress: { total: number } } };
  assert.equal(status.pullQueue.paused, true);
  assert.equal(status.pullQueue.progress.total, blocks.length);

  // Idempotent.
  assert.deepEqual(await setPaused(ks, 'pull', 'pause'), { kind: 'pull', paused: true });

  // A new list while paused is accepted, replaces the old one, and waits.
  const next = Array.from({ length: 4 }, () => makeBlock(64 * 1024));
  for (const b of next) peer.serve(b.hash, b.data);
  assert.equal((await putPullList(ks, pullEntriesFrom(peer.url, next))).status, 200);
  await sleep(1_000);
  const waiting = await listProgress(ks);
  assert.equal(waiting.paused, true);
  assert.equal(waiting.progress.total, next.length);
  assert.equal(waiting.queued, next.length);
  for (const b of next) assert.equal(peer.requests(b.hash), 0, 'nothing of the new list was fetched while paused');

  assert.deepEqual(await setPaused(ks, 'pull', 'resume'), { kind: 'pull', paused: false });
  assert.deepEqual(await setPaused(ks, 'pull', 'resume'), { kind: 'pull', paused: false }, 'idempotent');
  const finished = await waitFor(async () => {
    const p = await listProgress(ks);
    return p.progress.done === next.length ? p : undefined;
  }, 20_000);
  assert.equal(finished.progress.etaSeconds, 0);
  assert.ok(finished.progress.entriesPerSecond > 0 && finished.progress.bytesPerSecond > 0, 'a rate was measured');
  for (const b of next) assert.ok(await hasBlock(ks.volumeRoot(0), b.hash), `${b.locator} pulled after resume`);
  t.diagnostic(`rate after resume: ${finished.progress.entriesPerSecond} entries/s, ${finished.progress.bytesPerSecond} B/s`);
});

test("GET /pull shows the blocks that failed on every server, with each server's reason, and survives a worker SIGKILL", async () => {
  await setPaused(ks, 'pull', 'resume'); // whatever the test before left
  const missing = Array.from({ length: 3 }, () => makeBlock(4096));
  const dead = `http://127.0.0.1:${await freePort()}`; // nothing listens: connection refused
  const entries = missing.map((b) => ({ locator: b.locator, servers: [peer.url, dead] }));
  await putPullList(ks, entries);
  await waitForPullIdle(ks);
  const report = await listProgress(ks);
  assert.equal(report.progress.total, missing.length);
  assert.equal(report.progress.failed, missing.length);
  assert.equal(report.progress.done, 0);
  assert.equal(report.failures.capacity, 1000);
  for (const b of missing) {
    const row = report.failures.recent.find((f) => f.locator === b.locator);
    assert.ok(row, `${b.locator} in the failures table`);
    assert.equal(row.mount, 'zzzzz-nyw5e-000000000000000');
    assert.deepEqual(
      row.servers.map((s) => s.server),
      [peer.url, dead],
    );
    assert.match(row.servers[0]!.error, /404/);
    assert.match(row.servers[1]!.error, /ECONNREFUSED|refused/);
    assert.ok(Number.isFinite(Date.parse(row.at)));
  }

  // The per-peer failure counters (one per failed attempt).
  const metrics = await send(`${ks.url}/metrics`, 'GET', undefined, { Authorization: `Bearer ${MGMT_TOKEN}` });
  const samples = parsePrometheus(metrics.text);
  assert.ok(sumOf(samples, 'keepstore_pull_peer_failures_total', { peer: peer.url }) >= missing.length);
  assert.ok(sumOf(samples, 'keepstore_pull_peer_failures_total', { peer: dead }) >= missing.length);
  assert.equal(sumOf(samples, 'keepstore_pull_paused'), 0);
  assert.equal(sumOf(samples, 'keepstore_trash_paused'), 0);

  // A worker SIGKILLed: the primary keeps the table, the counts and the pause.
  await setPaused(ks, 'trash', 'pause');
  const { workers } = await getStatus(ks);
  const victim = workers.find((w) => w.pid !== null)!;
  process.kill(victim.pid!, 'SIGKILL');
  await waitFor(
    async () => {
      const w = (await getStatus(ks)).workers.find((x) => x.index === victim.index);
      return w?.state === 'listening' && w.pid !== victim.pid;
    },
    30_000,
    'the worker to be replaced',
  );
  const after = await listProgress(ks);
  assert.deepEqual(after.failures, report.failures);
  assert.deepEqual(
    { ...after.progress, entriesPerSecond: 0, bytesPerSecond: 0 },
    { ...report.progress, entriesPerSecond: 0, bytesPerSecond: 0 },
  );
  assert.equal((await listProgress(ks, 'trash')).paused, true);
  const scrape = parsePrometheus((await send(`${ks.url}/metrics`, 'GET', undefined, { Authorization: `Bearer ${MGMT_TOKEN}` })).text);
  assert.equal(sumOf(scrape, 'keepstore_trash_paused'), 1);
  await setPaused(ks, 'trash', 'resume');
});

test('bad input to the control endpoints gets a clear 4xx and changes nothing', async () => {
  await setPaused(ks, 'pull', 'pause');
  const cases: Array<[string, string, string | undefined, Record<string, string>, number, RegExp]> = [
    ['POST', '/pull/resume', '{"paused":false}', adminHeaders, 400, /takes no body/],
    ['POST', '/pull/resume?now=1', undefined, adminHeaders, 400, /unknown parameter "now"/],
    ['GET', '/pull?failures=10', undefined, adminHeaders, 400, /unknown parameter "failures"/],
    ['POST', '/pull/unpause', undefined, adminHeaders, 400, /./],
    ['PUT', '/pull/resume', undefined, adminHeaders, 400, /./],
    ['GET', '/pull/resume', undefined, adminHeaders, 400, /./],
    ['POST', '/pull', undefined, adminHeaders, 400, /./],
    ['POST', '/pull/resume', undefined, {}, 401, /./],
    ['POST', '/pull/resume', undefined, { Authorization: 'Bearer wrong' }, 403, /./],
    ['GET', '/pull', undefined, { Authorization: `Bearer ${MGMT_TOKEN}` }, 403, /./],
  ];
  for (const [method, path, body, headers, status, text] of cases) {
    const res = await send(`${ks.url}${path}`, method, body, headers);
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    assert.match(res.text, text, `${method} ${path}`);
  }
  assert.equal((await listProgress(ks)).paused, true, 'still paused');
  assert.equal((await listProgress(ks, 'trash')).paused, false, 'trash untouched');
  await setPaused(ks, 'pull', 'resume');
});
