/**
 * Full volumes, for real: two small tmpfs mounts (2 MiB each) as the server's volumes, filled
 * with a filler file or by the uploads themselves, so "full" is the kernel's ENOSPC and
 * statfs, not a mock. Needs root (mount); skipped with a message otherwise.
 * docs/api.md: no writable volume with room -> 507; a full volume falls over to the next one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rendezvousOrder } from '../../packages/protocol/src/index.ts';
import { startKeepstore, volumeUuid, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { bearer, blockFile, filesUnder, makeBlock, request, sign, type Block } from '../helpers/keep-http.ts';

const TOKEN = 'full-volume-test-token';
const TMPFS_SIZE = 2 * 1024 * 1024;

let dir: string;
let roots: string[] = [];
const mounted: string[] = [];
let skipReason: string | null = null;
let ks: Keepstore | undefined;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-full-'));
  roots = [path.join(dir, 't0'), path.join(dir, 't1')];
  try {
    for (const root of roots) {
      await fs.mkdir(root);
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', root], { stdio: 'pipe' });
      mounted.push(root);
    }
  } catch (err) {
    skipReason = `cannot mount a tmpfs to fill (${(err as Error).message.split('\n')[0]}); needs root`;
    return;
  }
  const volumes = roots.map((root, i) => ({ uuid: volumeUuid(i), root }));
  ks = await startKeepstore({ dir, workers: 1, config: { volumes } });
});
after(async () => {
  await ks?.destroy();
  for (const root of mounted) execFileSync('umount', [root]);
  await fs.rm(dir, { recursive: true, force: true });
});

/** Write a filler file until the filesystem says ENOSPC. */
async function fill(root: string): Promise<void> {
  const fh = await fs.open(path.join(root, 'filler'), 'a');
  try {
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close();
  }
}

/** A PUT whose headers go out now and whose body goes out when `send()` is called. */
function deferredPut(b: Block): { send(): void; status: Promise<number> } {
  const req = http.request(`${ks!.url}/${b.hash}`, { method: 'PUT', agent: false, headers: { 'Content-Length': String(b.data.length) } });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { send: () => req.end(b.data), status };
}

/** A block whose first volume in rendezvous order is `first`. */
function blockFirstOn(first: number, size: number): Block {
  const vols = roots.map((root, i) => ({ uuid: volumeUuid(i), priority: 0, root }));
  for (;;) {
    const b = makeBlock(size);
    if (rendezvousOrder(b.hash, vols)[0]!.uuid === volumeUuid(first)) return b;
  }
}

const tempFiles = async (): Promise<string[]> =>
  (await Promise.all(roots.map(filesUnder))).flat().filter((f) => path.basename(f).startsWith('tmp'));

test('ENOSPC in the middle of a write: 507, no partial block, the others stored', async (t) => {
  if (skipReason) return t.skip(skipReason);
  await fill(roots[1]!);
  // Three 700 KiB uploads each pass the free-space check (2 MiB free), but 2.1 MiB do not fit.
  const blocks = [0, 1, 2].map(() => blockFirstOn(0, 700 * 1024));
  const puts = blocks.map(deferredPut);
  await waitFor(async () => (await tempFiles()).length === 3, 10_000, 'three temp files');
  for (const p of puts) p.send();
  const statuses = await Promise.all(puts.map((p) => p.status));
  assert.ok(statuses.includes(507), `statuses ${statuses.join(',')}`);
  assert.ok(
    statuses.every((s) => s === 200 || s === 507),
    `statuses ${statuses.join(',')}`,
  );
  await waitFor(async () => (await tempFiles()).length === 0, 5000, 'temp files removed');
  for (const [i, b] of blocks.entries()) {
    const file = blockFile(roots[0]!, b.hash);
    const stored = await fs.readFile(file).catch(() => null);
    if (statuses[i] === 200) assert.ok(stored?.equals(b.data), 'a 200 means the whole block is stored');
    else assert.equal(stored, null, 'a 507 leaves no block');
  }
});

test('every writable volume without room: 507 before anything is written', async (t) => {
  if (skipReason) return t.skip(skipReason);
  await fill(roots[0]!);
  const b = makeBlock(10_000);
  const res = await request(`${ks!.url}/${b.hash}`, { method: 'PUT', body: b.data });
  assert.equal(res.status, 507);
  assert.equal(res.body.toString().split('\n').length, 2, 'one line');
  assert.deepEqual(await tempFiles(), []);
});

test('a full volume falls over to the next writable one', async (t) => {
  if (skipReason) return t.skip(skipReason);
  await fs.rm(path.join(roots[1]!, 'filler'));
  for (let i = 0; i < 4; i++) {
    const b = blockFirstOn(0, 50_000); // t0 comes first for these, but t0 is full
    const res = await request(`${ks!.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(TOKEN) });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(await fs.stat(blockFile(roots[1]!, b.hash)).then((s) => s.size), 50_000);
    const get = await request(`${ks!.url}/${sign(b.locator, TOKEN)}`, { headers: bearer(TOKEN) });
    assert.ok(get.body.equals(b.data));
  }
});

/** A PUT with a chunked body (no Content-Length): the server cannot know the size up front. */
function chunkedPut(b: Block): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${ks!.url}/${b.hash}`, {
      method: 'PUT',
      agent: false,
      headers: { ...bearer(TOKEN), 'Transfer-Encoding': 'chunked' },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    for (let off = 0; off < b.data.length; off += 256 * 1024) req.write(b.data.subarray(off, off + 256 * 1024));
    req.end();
  });
}

test('a chunked PUT of a small block is stored on a small volume: only the margin is checked (was 507: 64 MiB assumed)', async (t) => {
  if (skipReason) return t.skip(skipReason);
  // t0 is full (filled above); t1 has about 2 MiB free, far less than 64 MiB.
  const small = makeBlock(6);
  const res = await chunkedPut(small);
  assert.equal(res.status, 200, res.body);
  assert.ok((await fs.readFile(blockFile(roots[1]!, small.hash))).equals(small.data));
  // A chunked block larger than the room left is refused by ENOSPC mid-write: 507, nothing left.
  const big = makeBlock(3 * 1024 * 1024);
  const tooBig = await chunkedPut(big);
  assert.equal(tooBig.status, 507, tooBig.body);
  assert.equal(await fs.stat(blockFile(roots[1]!, big.hash)).catch(() => null), null);
  await waitFor(async () => (await tempFiles()).length === 0, 5000, 'temp files removed');
});
