import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { signLocator } from '../../packages/protocol/src/index.ts';
import { COLLECT_TIMEOUT_MS } from '../../packages/server/src/primary/worker-collector.ts';
import {
  adminHeaders,
  MGMT_TOKEN,
  ROOT_TOKEN,
  SIGNING_KEY,
  startKeepstore,
  waitFor,
  type Keepstore,
} from '../helpers/keepstore-process.ts';
import { parsePrometheus, request, sumOf, type Sample } from '../helpers/http-client.ts';

const WORKERS = 3;
const TOKEN = 'metrics-test-client-token';
const auth = { Authorization: `Bearer ${TOKEN}` };
const mgmt = { Authorization: `Bearer ${MGMT_TOKEN}` };

let ks: Keepstore;
before(async () => {
  ks = await startKeepstore({ workers: WORKERS, volumeCount: 2 });
});
after(() => ks.destroy());

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

async function scrape(): Promise<Sample[]> {
  const res = await request(`${ks.url}/metrics`, { headers: mgmt });
  assert.equal(res.status, 200, res.body.toString());
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  return parsePrometheus(res.body.toString());
}

/** Access-log lines of completed requests, to see which worker served what. */
function requestLogs(): Array<{ worker?: number; method?: string; path?: string; status?: number }> {
  return ks.logs.filter((l) => l.message === 'request') as never;
}

test('one scrape shows the exact counts of requests spread across workers', async () => {
  const blocks = Array.from({ length: 7 }, (_, i) => randomBytes(1000 + i * 10_000));
  const signed: string[] = [];
  for (const b of blocks) {
    const res = await request(`${ks.url}/${md5(b)}`, { method: 'PUT', body: b, headers: auth });
    assert.equal(res.status, 200);
    signed.push(res.body.toString().trim());
  }
  const bad = await request(`${ks.url}/${md5(Buffer.from('other'))}`, { method: 'PUT', body: Buffer.from('bytes'), headers: auth });
  assert.equal(bad.status, 400); // hash mismatch
  for (const loc of signed.slice(0, 5)) assert.equal((await request(`${ks.url}/${loc}`, { headers: auth })).status, 200);
  for (const loc of signed.slice(0, 2)) assert.equal((await request(`${ks.url}/${loc}`, { method: 'HEAD', headers: auth })).status, 200);
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  for (let i = 0; i < 3; i++) {
    const missing = signLocator(`${md5(randomBytes(8))}+8`, TOKEN, expiry, 1209600, SIGNING_KEY);
    assert.equal((await request(`${ks.url}/${missing}`, { headers: auth })).status, 404);
  }

  const served = new Set(requestLogs().map((l) => l.worker));
  assert.ok(served.size >= 2, `requests should be spread across workers, all went to ${[...served].join(',')}`);

  const m = await scrape();
  // The helper's readiness poll is the only other GET that was answered 200 before this scrape.
  const healthPolls = requestLogs().filter((l) => l.path === '/_health/ping' && l.status === 200).length;
  assert.equal(sumOf(m, 'keepstore_http_requests_total', { method: 'PUT', code: '200' }), 7);
  assert.equal(sumOf(m, 'keepstore_http_requests_total', { method: 'PUT', code: '400' }), 1);
  assert.equal(sumOf(m, 'keepstore_http_requests_total', { method: 'GET', code: '200' }), 5 + healthPolls);
  assert.equal(sumOf(m, 'keepstore_http_requests_total', { method: 'GET', code: '404' }), 3);
  assert.equal(sumOf(m, 'keepstore_http_requests_total', { method: 'HEAD', code: '200' }), 2);
  assert.equal(sumOf(m, 'keepstore_http_request_duration_seconds_count', { method: 'PUT', code: '200' }), 7);
  const putBytes = blocks.reduce((n, b) => n + b.length, 0) + 'bytes'.length;
  assert.equal(sumOf(m, 'keepstore_http_bytes_received_total'), putBytes);
  const getBytes = blocks.slice(0, 5).reduce((n, b) => n + b.length, 0);
  assert.ok(sumOf(m, 'keepstore_http_bytes_sent_total') >= getBytes);
  // Volume operations, summed over workers and mounts: 7 commits; 8 temp files (the bad PUT's too).
  assert.equal(sumOf(m, 'keepstore_volume_operations_total', { operation: 'write' }), 7);
  assert.equal(sumOf(m, 'keepstore_volume_operations_total', { operation: 'create' }), 8);
  // A GET or HEAD with a size hint opens the block without a stat first: 5 GET + 2 HEAD found
  // on their first volume (where the PUT put them), and 3 missing blocks tried on both volumes.
  assert.equal(sumOf(m, 'keepstore_volume_operations_total', { operation: 'open' }), 7 + 3 * 2);
  assert.equal(sumOf(m, 'keepstore_volume_errors_total'), 0);
});

test('every worker answers a scrape with the same whole-server figures', async () => {
  const counts: number[] = [];
  for (let i = 0; i < WORKERS * 2; i++) counts.push(sumOf(await scrape(), 'keepstore_http_requests_total', { method: 'PUT' }));
  assert.deepEqual(
    counts,
    counts.map(() => counts[0]),
  );
  const metricsServedBy = new Set(
    requestLogs()
      .filter((l) => l.path === '/metrics')
      .map((l) => l.worker),
  );
  assert.ok(metricsServedBy.size >= 2, 'scrapes should have been taken by several workers');
});

test('primary figures: queues, workers, free space', async () => {
  const m = await scrape();
  for (const kind of ['pull', 'trash']) {
    for (const suffix of ['pending_entries', 'inprogress_entries', 'done_total', 'failed_total']) {
      assert.ok(
        m.some((s) => s.name === `keepstore_${kind}_queue_${suffix}`),
        `keepstore_${kind}_queue_${suffix}`,
      );
    }
  }
  assert.equal(sumOf(m, 'keepstore_workers', { state: 'listening' }), WORKERS);
  assert.equal(m.filter((s) => s.name === 'keepstore_volume_free_bytes').length, 2);
  assert.ok(sumOf(m, 'keepstore_volume_free_bytes') > 0);
  assert.equal(sumOf(m, 'keepstore_http_requests_max_in_progress'), WORKERS * 256);
  // Process metrics are summed too: the RSS of the whole server.
  assert.ok(sumOf(m, 'process_resident_memory_bytes') > 0);
});

test('the management token guards /metrics', async () => {
  assert.equal((await request(`${ks.url}/metrics`)).status, 401);
  assert.equal((await request(`${ks.url}/metrics`, { headers: { Authorization: `Bearer ${ROOT_TOKEN}` } })).status, 403);
});

test('a worker restart is counted and scrapes keep working through it', async () => {
  const status = JSON.parse((await request(`${ks.url}/status.json`, { headers: adminHeaders })).body.toString());
  const victim = status.workers[1] as { index: number; pid: number; state: string };
  assert.equal(victim.state, 'listening');
  process.kill(victim.pid, 'SIGKILL');
  // Scrape until the restart is counted and the worker listens again. The primary asks only
  // listening workers and drops a dead one from the wait, so every scrape is answered 200; one
  // that waited for the dead or the restarting worker would end in 503 (no answer from it). A
  // connection the victim had accepted when it died is reset: only that is retried.
  const statuses: number[] = [];
  const listeningSeen: number[] = [];
  // On a timeout, say what the scrapes saw (a restart never counted, or a worker never back).
  const seen = () => `statuses ${statuses.join(',')}; listening ${listeningSeen.join(',')}`;
  const m = await waitFor(
    async () => {
      // The client timeout only keeps a lost connection from hanging the test: it is longer than
      // the primary's own wait for workers, so a scrape stalled by a worker shows up as a 503.
      const res = await request(`${ks.url}/metrics`, { headers: mgmt, timeoutMs: COLLECT_TIMEOUT_MS * 3 }).catch(() => undefined);
      if (!res) return undefined;
      statuses.push(res.status);
      if (res.status !== 200) return undefined;
      const s = parsePrometheus(res.body.toString());
      const listening = sumOf(s, 'keepstore_workers', { state: 'listening' });
      listeningSeen.push(listening);
      // The kill is noticed a moment later: until then a scrape still shows every worker listening.
      return sumOf(s, 'keepstore_worker_restarts_total', { worker: String(victim.index) }) >= 1 && listening === WORKERS ? s : undefined;
    },
    30_000,
    'the restart to be counted and the worker to listen again',
  ).catch((err: Error) => {
    throw new Error(`${err.message} (${seen()})`);
  });
  assert.deepEqual(
    statuses.filter((code) => code !== 200),
    [],
    'every scrape answered 200',
  );
  assert.ok(
    listeningSeen.some((n) => n < WORKERS),
    `some scrape was answered while the worker was down (listening: ${listeningSeen.join(',')})`,
  );
  assert.equal(sumOf(m, 'keepstore_worker_restarts_total', { worker: String(victim.index) }), 1);
  assert.equal(sumOf(m, 'keepstore_worker_restarts_total'), 1);
});
