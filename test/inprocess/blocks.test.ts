// Block routes in-process (test/helpers/in-process-app.ts): status codes, signatures and the
// bytes on disk, without forking a server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { computeSignature } from '../../packages/protocol/src/index.ts';
import { type InProcessApp, startInProcessApp } from '../helpers/in-process-app.ts';
import { bearer, blockFile, makeBlock, request, sign, TTL_SECONDS } from '../helpers/keep-http.ts';
import { SIGNING_KEY } from '../helpers/keepstore-process.ts';

const TOKEN = 'user-token-for-in-process-tests';
let app: InProcessApp;

before(async () => {
  app = await startInProcessApp();
});
after(() => app.close());

const put = (hash: string, data: Buffer | string, headers = bearer(TOKEN)) =>
  request(`${app.url}/${hash}`, { method: 'PUT', body: data, headers });

describe('PUT', () => {
  test('200 with a locator signed for the caller, the replica headers, and the file on the volume', async () => {
    const b = makeBlock(1234);
    const res = await put(b.hash, b.data);
    assert.equal(res.status, 200);
    const m = /^([0-9a-f]{32})\+1234\+A([0-9a-f]{40})@([0-9a-f]{8})\n$/.exec(res.body.toString());
    assert.ok(m, res.body.toString());
    assert.equal(m[1], b.hash);
    assert.equal(m[2], computeSignature(b.hash, TOKEN, m[3]!, TTL_SECONDS, SIGNING_KEY));
    assert.equal(res.headers['x-keep-replicas-stored'], '1');
    assert.equal(res.headers['x-keep-storage-classes-confirmed'], 'default=1');
    assert.deepEqual(fs.readFileSync(blockFile(app.roots[0]!, b.hash)), b.data);
  });

  test('without a token: 200 and the bare locator', async () => {
    const b = makeBlock(10);
    const res = await put(b.hash, b.data, {});
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), `${b.locator}\n`);
  });

  test('a body that does not hash to the locator: 400, nothing stored', async () => {
    const b = makeBlock(100);
    const res = await put(b.hash, Buffer.alloc(100));
    assert.equal(res.status, 400);
    assert.equal(fs.existsSync(blockFile(app.roots[0]!, b.hash)), false);
  });

  test('a declared body over 64 MiB: 413 before the body is read', async () => {
    const b = makeBlock(10);
    const res = await request(`${app.url}/${b.hash}`, {
      method: 'PUT',
      headers: { ...bearer(TOKEN), 'Content-Length': String(64 * 1024 * 1024 + 1) },
    });
    assert.equal(res.status, 413);
  });

  test('an invalid locator: 400 "invalid locator"', async () => {
    const res = await put('not-a-hash', 'abc');
    assert.equal(res.status, 400);
    assert.equal(res.body.toString(), 'invalid locator\n');
  });
});

describe('GET and HEAD', () => {
  const stored = makeBlock(3000);
  before(async () => {
    assert.equal((await put(stored.hash, stored.data)).status, 200);
  });

  test('GET with a signed locator: 200, the exact bytes and Content-Length', async () => {
    const res = await request(`${app.url}/${sign(stored.locator, TOKEN)}`, { headers: bearer(TOKEN) });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '3000');
    assert.deepEqual(res.body, stored.data);
  });

  test('HEAD: 200 with Content-Length and no body, with or without a size hint', async () => {
    for (const loc of [stored.locator, stored.hash]) {
      const res = await request(`${app.url}/${sign(loc, TOKEN)}`, { method: 'HEAD', headers: bearer(TOKEN) });
      assert.equal(res.status, 200, loc);
      assert.equal(res.headers['content-length'], '3000');
      assert.equal(res.body.length, 0);
    }
  });

  test('GET without a size hint: 405', async () => {
    const res = await request(`${app.url}/${sign(stored.hash, TOKEN)}`, { headers: bearer(TOKEN) });
    assert.equal(res.status, 405);
  });

  test('unknown block, or a size hint that does not match: 404', async () => {
    const missing = makeBlock(50);
    for (const loc of [missing.locator, `${stored.hash}+2999`]) {
      const res = await request(`${app.url}/${sign(loc, TOKEN)}`, { headers: bearer(TOKEN) });
      assert.equal(res.status, 404, loc);
    }
  });

  test('no token: 401; wrong signature: 400 "invalid signature"; expired: 401 "expired signature"', async () => {
    const signed = sign(stored.locator, TOKEN);
    assert.equal((await request(`${app.url}/${signed}`)).status, 401);
    const wrong = await request(`${app.url}/${sign(stored.locator, 'another-token')}`, { headers: bearer(TOKEN) });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.toString(), 'invalid signature\n');
    const expired = await request(`${app.url}/${sign(stored.locator, TOKEN, -60)}`, { headers: bearer(TOKEN) });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.toString(), 'expired signature\n');
  });

  test('a stored copy that no longer matches its hash: 502 on GET, never the bad bytes', async () => {
    const b = makeBlock(200);
    assert.equal((await put(b.hash, b.data)).status, 200);
    fs.writeFileSync(blockFile(app.roots[0]!, b.hash), Buffer.alloc(200));
    const res = await request(`${app.url}/${sign(b.locator, TOKEN)}`, { headers: bearer(TOKEN) });
    assert.equal(res.status, 502);
    assert.notDeepEqual(res.body, Buffer.alloc(200));
  });
});
