/**
 * Pulling blocks from peers (docs/api.md "The pull list"): a real keepstore as the source, a
 * fake peer that misbehaves on purpose, and the keepstore under test pulling from them.
 * Every misbehaviour is given up on within the timeouts, the next server is tried, and a
 * wrong or partial block is never stored.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { signLocator } from '../../packages/protocol/src/index.ts';
import { startFakePeer, type Behaviour, type FakePeer } from '../helpers/fake-peer.ts';
import { freePort, MGMT_TOKEN, ROOT_TOKEN, SIGNING_KEY, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import {
  assertNoBadBlocks,
  hasBlock,
  logsWith,
  makeBlock,
  putBlock,
  runPullList,
  send,
  volumeFiles,
  type Block,
} from '../helpers/pull-helpers.ts';

let source: Keepstore;
let target: Keepstore;
let bad: FakePeer;
let good: FakePeer;

before(async () => {
  [source, target, bad, good] = await Promise.all([
    startKeepstore({ workers: 1, volumeCount: 1 }),
    startKeepstore({ workers: 2, volumeCount: 2, config: { pullConnectTimeout: '1s', pullIdleTimeout: '1s' } }),
    startFakePeer({ signingKey: SIGNING_KEY, slowChunks: 4, slowDelayMs: 150 }),
    startFakePeer({ signingKey: SIGNING_KEY }),
  ]);
});
after(async () => {
  bad?.releaseStalled();
  await Promise.all([source?.destroy(), target?.destroy(), bad?.close(), good?.close()]);
});

const roots = () => [target.volumeRoot(0), target.volumeRoot(1)];

async function storedOnTarget(hash: string): Promise<boolean> {
  for (const root of roots()) if (await hasBlock(root, hash)) return true;
  return false;
}

test('a block is pulled from a real peer keepstore, signed with our key, and logged', async () => {
  const block = makeBlock(300_000);
  assert.equal(await putBlock(source, block), 200);
  await runPullList(target, [{ locator: block.locator, servers: [source.url] }]);

  const pulled = logsWith(target, 'block pulled').find((l) => l['locator'] === block.locator);
  assert.ok(pulled, 'a block pulled line');
  assert.equal(pulled['server'], source.url);
  assert.equal(pulled['bytes'], block.data.length);
  assert.equal(typeof pulled['durationMs'], 'number');
  const mount = String(pulled['mount']);
  assert.ok([volumeUuid(0), volumeUuid(1)].includes(mount));
  assert.ok(await hasBlock(target.volumeRoot(mount === volumeUuid(0) ? 0 : 1), block.hash));

  const signed = signLocator(block.locator, ROOT_TOKEN, Date.now() / 1000 + 3600, 1209600, SIGNING_KEY);
  const res = await fetch(`${target.url}/${signed}`, { headers: { Authorization: `Bearer ${ROOT_TOKEN}` } });
  assert.equal(res.status, 200);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(block.data));
});

test('servers are tried in order: a later server is not asked when an earlier one delivers', async () => {
  const block = makeBlock(10_000);
  assert.equal(await putBlock(source, block), 200);
  good.serve(block.hash, block.data);
  await runPullList(target, [{ locator: block.locator, servers: [source.url, good.url] }]);
  assert.ok(await storedOnTarget(block.hash));
  assert.equal(good.requests(block.hash), 0);
});

/** The reason each misbehaviour is reported with, for the entry whose only server misbehaves. */
const EXPECTED_ERROR: Record<Exclude<Behaviour, 'ok' | 'slow' | 'endless'>, RegExp> = {
  'wrong-bytes': /MD5 does not match/,
  short: /transfer failed|size mismatch/,
  'short-clean': /size mismatch/,
  stall: /no data for 1000 ms/,
  hang: /no response within 1000 ms/,
  '404': /HTTP 404/,
  '500': /HTTP 500/,
};

test('every misbehaviour is given up on, the next server is tried, and no wrong block is stored', async () => {
  const refused = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const cases = [...Object.keys(EXPECTED_ERROR), 'refused'] as Array<keyof typeof EXPECTED_ERROR | 'refused'>;
  const withFallback = new Map<string, Block>();
  const alone = new Map<string, Block>();
  const entries = [];
  for (const how of cases) {
    const [a, b] = [makeBlock(200_000), makeBlock(200_000)];
    withFallback.set(how, a);
    alone.set(how, b);
    const server = how === 'refused' ? refused : bad.url;
    if (how !== 'refused') {
      bad.serve(a.hash, a.data, how);
      bad.serve(b.hash, b.data, how);
    }
    good.serve(a.hash, a.data);
    entries.push({ locator: a.locator, servers: [server, good.url] }, { locator: b.locator, servers: [server] });
  }
  const started = Date.now();
  await runPullList(target, entries);
  assert.ok(Date.now() - started < 10_000, 'given up on within the timeouts');

  const failures = logsWith(target, 'error pulling data from remote servers');
  for (const how of cases) {
    const a = withFallback.get(how)!;
    const b = alone.get(how)!;
    assert.ok(await storedOnTarget(a.hash), `${how}: pulled from the next server`);
    assert.equal(good.requests(a.hash), 1, `${how}: next server asked once`);
    assert.equal(await storedOnTarget(b.hash), false, `${how}: nothing stored without a good server`);
    const line = failures.find((l) => l['locator'] === b.locator);
    assert.ok(line, `${how}: failure logged`);
    const errors = line['errors'] as Array<{ server: string; error: string }>;
    assert.equal(errors.length, 1);
    const expected = how === 'refused' ? /ECONNREFUSED/ : EXPECTED_ERROR[how];
    assert.match(errors[0]!.error, expected, `${how}: ${errors[0]!.error}`);
  }
  for (const root of roots()) {
    await assertNoBadBlocks(root);
    const temps = (await volumeFiles(root)).filter((f) => path.basename(f.name).startsWith('tmp'));
    assert.deepEqual(temps, [], 'no temp file left behind');
  }
  bad.releaseStalled();
});

test('a slow peer that keeps sending within the idle timeout is waited for', async () => {
  const block = makeBlock(400_000); // 4 chunks, 150 ms apart: 600 ms in all, each gap < 1 s
  bad.serve(block.hash, block.data, 'slow');
  await runPullList(target, [{ locator: block.locator, servers: [bad.url] }]);
  assert.ok(await storedOnTarget(block.hash));
});

test('a block already stored intact is touched, not fetched again', async () => {
  const block = makeBlock(5_000);
  good.serve(block.hash, block.data);
  await runPullList(target, [{ locator: block.locator, servers: [good.url] }]);
  assert.equal(good.requests(block.hash), 1);
  const mount = String(logsWith(target, 'block pulled').find((l) => l['locator'] === block.locator)?.['mount']);
  const file = path.join(target.volumeRoot(mount === volumeUuid(0) ? 0 : 1), block.hash.slice(0, 3), block.hash);
  const before = (await stat(file, { bigint: true })).mtimeNs;

  await runPullList(target, [{ locator: block.locator, servers: [good.url] }]);
  assert.equal(good.requests(block.hash), 1, 'not fetched again');
  assert.ok((await stat(file, { bigint: true })).mtimeNs > before, 'mtime touched');
  assert.ok(logsWith(target, 'pull list entry already stored: touched').some((l) => l['locator'] === block.locator));
});

test('no log line of the puller carries a signature or a token', async () => {
  const text = target.logs.map((l) => JSON.stringify(l)).join('\n');
  assert.doesNotMatch(text, /\+A[0-9a-f]{40}@/);
  assert.doesNotMatch(text, new RegExp(ROOT_TOKEN));
  // and the status of a GET without signature on the target is still enforced
  const res = await send(`${target.url}/${makeBlock(10).locator}`, 'GET');
  assert.equal(res.status, 401);
});

test('peers get a pull token of our own (never the admin or management token) and signatures that expire in minutes', async () => {
  assert.equal(bad.badSignatures + good.badSignatures, 0, 'every signature valid for the token sent with it');
  const headers = [...bad.authHeaders, ...good.authHeaders];
  assert.ok(headers.length > 0);
  const tokens = new Set(headers.map((h) => /^Bearer (\S+)$/.exec(h)?.[1]));
  assert.ok(tokens.size >= 1 && tokens.size <= 2, `one random token per worker process: ${[...tokens].join(', ')}`);
  for (const token of tokens) {
    assert.ok(token !== undefined && token !== ROOT_TOKEN && token !== MGMT_TOKEN, 'neither the admin nor the management token');
    // It grants nothing here: admin and management endpoints refuse it.
    for (const [method, p] of [
      ['GET', '/index'],
      ['GET', '/status.json'],
      ['GET', '/mounts'],
      ['PUT', '/pull'],
      ['GET', '/metrics'],
    ] as const) {
      const res = await send(`${target.url}${p}`, method, method === 'PUT' ? '[]' : undefined, { Authorization: `Bearer ${token}` });
      assert.ok(res.status === 401 || res.status === 403, `${method} ${p} with the pull token: ${res.status}`);
    }
  }
  const expiries = [...bad.signatureExpiries, ...good.signatureExpiries];
  assert.equal(expiries.length, headers.length, 'every request was signed');
  const now = Date.now() / 1000;
  for (const exp of expiries) assert.ok(exp > now - 600 && exp <= now + 300, `expires within 5 minutes (in ${Math.round(exp - now)} s)`);
});
