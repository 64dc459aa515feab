/**
 * Block-path faults against the real server: bad bodies, oversize uploads, clients that go
 * away mid-PUT, re-PUTs, hash collisions, corrupt stored copies, read-only volumes and a
 * volume whose directory disappears. Nothing a failed request did may be left on disk.
 * Full volumes (real ENOSPC on a small tmpfs) are in http-volume-full.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { startKeepstore, volumeUuid, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { bearer, blockFile, filesFor, filesUnder, makeBlock, request, sign } from '../helpers/keep-http.ts';
import { MD5_COLLISION } from '../helpers/md5-collision.ts';

const TOKEN = 'fault-test-user-token-0123456789';
const MAX = 64 * 1024 * 1024;

let dir: string;
let ks: Keepstore;
/** The block placed directly on the read-only volume before start. */
const preloaded = makeBlock(3000);
let roots: string[];

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-faults-'));
  const ro = path.join(dir, 'ro');
  await fs.mkdir(path.dirname(blockFile(ro, preloaded.hash)), { recursive: true });
  await fs.writeFile(blockFile(ro, preloaded.hash), preloaded.data);
  const volumes = [
    { uuid: volumeUuid(0), root: path.join(dir, 'v0') },
    { uuid: volumeUuid(1), root: path.join(dir, 'v1') },
    { uuid: volumeUuid(2), root: ro, readOnly: true },
  ];
  roots = volumes.map((v) => v.root);
  ks = await startKeepstore({ dir, workers: 2, config: { volumes } });
});
after(async () => {
  await ks?.destroy();
  await fs.rm(dir, { recursive: true, force: true });
});

const put = (hash: string, body: Buffer, headers: Record<string, string> = {}) =>
  request(`${ks.url}/${hash}`, { method: 'PUT', body, headers: { ...bearer(TOKEN), ...headers } });
const read = (locator: string, method = 'GET') => request(`${ks.url}/${sign(locator, TOKEN)}`, { method, headers: bearer(TOKEN) });
const requestLine = (pred: (l: Record<string, unknown>) => boolean) => ks.waitForLog((l) => l.message === 'request' && pred(l));

/** Start a PUT by hand: headers (and `body`) now, the caller decides how it ends. */
function rawPut(hash: string, contentLength: number, body: Buffer): net.Socket {
  const sock = net.connect(ks.port, '127.0.0.1');
  sock.on('error', () => undefined);
  sock.write(`PUT /${hash} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${contentLength}\r\n\r\n`);
  sock.write(body);
  return sock;
}

describe('bad uploads leave nothing behind', () => {
  test('hash mismatch: 400, no block and no temp file', async () => {
    const b = makeBlock(50_000);
    const other = makeBlock(50_000);
    const res = await put(b.hash, other.data, { 'X-Request-Id': 'req-mismatch' });
    assert.equal(res.status, 400);
    assert.equal(res.body.toString().split('\n').length, 2, 'a one-line body');
    assert.deepEqual(await filesFor(roots, b.hash), []);
    assert.equal((await read(b.locator)).status, 404);
    assert.equal((await requestLine((l) => l['requestId'] === 'req-mismatch'))['status'], 400);
  });

  test('over 64 MiB by Content-Length: 413 before the body is read', async () => {
    const b = makeBlock(10);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${ks.url}/${b.hash}`,
        { method: 'PUT', agent: false, headers: { 'Content-Length': String(MAX + 1) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024)); // a little of the body; the answer must not wait for the rest
    });
    assert.equal(status, 413);
    assert.deepEqual(await filesFor(roots, b.hash), []);
  });

  test('over 64 MiB without Content-Length (chunked): 413, temp file removed', async () => {
    const hash = 'f'.repeat(32);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${ks.url}/${hash}`, { method: 'PUT', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => undefined); // the server may close before we finish writing
      const chunk = Buffer.alloc(1024 * 1024, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < 65) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
      req.on('close', () => reject(new Error('closed without a response')));
    });
    assert.equal(status, 413);
    await waitFor(async () => (await filesFor(roots, hash)).length === 0, 5000, 'temp file removed');
  });

  test('a PUT cut off mid-upload: no block, no temp file, status 499 in the log', async () => {
    const b = makeBlock(1024 * 1024);
    const sock = rawPut(b.hash, b.data.length, b.data.subarray(0, b.data.length / 2));
    // The server really is writing it: a temp file exists before we hang up.
    await waitFor(async () => (await filesFor(roots, b.hash)).some((f) => path.basename(f).startsWith('tmp')), 5000, 'temp file');
    sock.destroy();
    const line = await requestLine((l) => l['path'] === `/${b.hash}` && l['method'] === 'PUT');
    assert.equal(line['status'], 499);
    await waitFor(async () => (await filesFor(roots, b.hash)).length === 0, 5000, 'temp file removed');
    assert.equal((await read(b.locator)).status, 404);
  });
});

describe('stored blocks', () => {
  test('an identical re-PUT touches the stored copy (mtime advances, still one copy)', async () => {
    const b = makeBlock(2000);
    assert.equal((await put(b.hash, b.data)).status, 200);
    const [file] = await filesFor(roots, b.hash);
    assert.ok(file);
    const old = new Date('2020-01-01T00:00:00Z');
    await fs.utimes(file, old, old);
    const before = (await fs.stat(file, { bigint: true })).mtimeNs;
    const res = await put(b.hash, b.data);
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), new RegExp(`^${b.hash}\\+${b.data.length}\\+A`));
    const after = (await fs.stat(file, { bigint: true })).mtimeNs;
    assert.ok(after > before, 'mtime advanced');
    assert.ok(Math.abs(Number(after / 1_000_000n) - Date.now()) < 60_000, 'to about now');
    assert.deepEqual(await filesFor(roots, b.hash), [file]);
  });

  test('a real MD5 collision: other bytes that hash to the same name already stored -> 500 "hash collision"', async () => {
    const { hash, a: impostor, b: data } = MD5_COLLISION;
    const file = blockFile(roots[0]!, hash);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, impostor);
    const res = await put(hash, data);
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), 'hash collision\n');
    assert.ok((await fs.readFile(file)).equals(impostor), 'the stored file is left alone');
    assert.deepEqual(await filesFor(roots, hash), [file], 'and no other copy or temp file');
  });

  test('a corrupt stored copy: HEAD 502, GET never delivers a complete body', async () => {
    for (const size of [5000, 3 * 1024 * 1024 + 5]) {
      const b = makeBlock(size);
      assert.equal((await put(b.hash, b.data)).status, 200);
      const [file] = await filesFor(roots, b.hash);
      const bad = Buffer.from(b.data);
      bad[size - 1] = bad[size - 1]! ^ 0xff; // same size, last byte flipped: only the final hash can tell
      await fs.writeFile(file!, bad);
      const head = await read(b.locator, 'HEAD');
      assert.equal(head.status, 502, `HEAD, ${size} bytes`);
      await fs.writeFile(file!, bad); // the HEAD moved the corrupt copy to trash (corrupt-copy-repair.test.ts)
      const id = `req-corrupt-${size}`;
      const get = await request(`${ks.url}/${sign(b.locator, TOKEN)}`, { headers: { ...bearer(TOKEN), 'X-Request-Id': id } }).catch(
        () => null,
      );
      const delivered = get !== null && get.status === 200 && get.complete && get.body.length === size;
      assert.ok(!delivered, `GET of a corrupt ${size}-byte block delivered a complete body`);
      if (size < 1024 * 1024) assert.equal(get?.status, 502, 'a small block fails before any byte is sent');
      // The operator learns which copy is bad; the access log does not blame the client (499).
      const line = await requestLine((l) => l['requestId'] === id);
      assert.equal(line['status'], 502);
      const warning = await ks.waitForLog((l) => l.message === 'stored block is corrupt' && l['requestId'] === id);
      assert.equal(warning['mount'], volumeUuid(roots.indexOf(path.dirname(path.dirname(file!)))));
    }
  });
});

describe('read-only volumes', () => {
  test('blocks on a read-only volume are served', async () => {
    const res = await read(preloaded.locator);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(preloaded.data));
  });

  test('PUT never writes to a read-only volume, even for a block it holds', async () => {
    const res = await put(preloaded.hash, preloaded.data);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-keep-replicas-stored'], '1');
    const copies = await filesFor(roots, preloaded.hash);
    assert.equal(copies.length, 2, 'a writable copy was added');
    for (let i = 0; i < 30; i++) {
      const b = makeBlock(100 + i);
      assert.equal((await put(b.hash, b.data)).status, 200);
    }
    assert.deepEqual(await filesUnder(roots[2]!), [path.relative(roots[2]!, blockFile(roots[2]!, preloaded.hash))]);
  });
});

describe('a volume whose directory disappears', () => {
  let solo: Keepstore;
  let soloDir: string;
  const onReadOnly = makeBlock(1234);
  before(async () => {
    soloDir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-vanish-'));
    const ro = path.join(soloDir, 'ro');
    await fs.mkdir(path.dirname(blockFile(ro, onReadOnly.hash)), { recursive: true });
    await fs.writeFile(blockFile(ro, onReadOnly.hash), onReadOnly.data);
    const volumes = [
      { uuid: volumeUuid(0), root: path.join(soloDir, 'rw') },
      { uuid: volumeUuid(1), root: ro, readOnly: true },
    ];
    solo = await startKeepstore({ dir: soloDir, workers: 1, config: { volumes } });
  });
  after(async () => {
    await solo?.destroy();
    await fs.rm(soloDir, { recursive: true, force: true });
  });

  test('PUT gets 503 when it was the only writable volume; GETs from the other volume keep working', async () => {
    const before = makeBlock(10);
    const url = (loc: string) => `${solo.url}/${loc}`;
    assert.equal((await request(url(before.hash), { method: 'PUT', body: before.data })).status, 200);
    await fs.rm(path.join(soloDir, 'rw'), { recursive: true, force: true });
    const b = makeBlock(1000);
    const res = await request(url(b.hash), { method: 'PUT', body: b.data });
    assert.equal(res.status, 503, res.body.toString());
    assert.ok(!res.body.toString().includes(soloDir), 'no filesystem path in the error body');
    const get = await request(url(sign(onReadOnly.locator, TOKEN)), { headers: bearer(TOKEN) });
    assert.equal(get.status, 200);
    assert.ok(get.body.equals(onReadOnly.data));
    assert.equal((await request(url(sign(before.locator, TOKEN)), { headers: bearer(TOKEN) })).status, 404);
    assert.equal(await fs.stat(path.join(soloDir, 'rw')).catch(() => null), null, 'the root was not recreated');
  });
});

test('none of these faults logged an error-level line (client disconnects are not server errors)', async () => {
  // Runs last: every request above has been answered; give the error handlers a moment to run.
  await request(`${ks.url}/_health/ping`, { headers: { 'X-Request-Id': 'req-sentinel' } });
  await requestLine((l) => l['requestId'] === 'req-sentinel');
  const errors = ks.logs.filter((l) => l.level === 'error');
  assert.deepEqual(errors, []);
});
