/**
 * Block endpoints of the real server (the built binary, 2 workers) against docs/api.md:
 * PUT/GET/HEAD with signing on, locator and signature errors, every token source, request
 * ids, CORS, unknown routes, and the access log (which must never show a secret).
 * Faults (bad bodies, disconnects, broken volumes) are in http-block-faults.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { computeSignature, rendezvousOrder } from '../../packages/protocol/src/index.ts';
import { MGMT_TOKEN, ROOT_TOKEN, SIGNING_KEY, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { bearer, blockFile, filesUnder, makeBlock, request, sign, TTL_SECONDS, type Block } from '../helpers/keep-http.ts';
import { keepVectors as vectors } from '../helpers/keep-vectors.ts';

const USER_TOKEN = `user-token-${Math.random().toString(36).slice(2)}abcdefghijklmnop`;
const EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';
/** Every signature hex we saw: none may show up in a log line. */
const signatures = new Set<string>();

let ks: Keepstore;
let small: Block;
let big: Block;
let signedSmall: string;

before(async () => {
  ks = await startKeepstore({ workers: 2, volumeCount: 3 });
  small = makeBlock(1000);
  big = makeBlock(5 * 1024 * 1024 + 17); // several read chunks: exercises streaming and the held-back tail
  for (const b of [small, big]) {
    const res = await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(USER_TOKEN) });
    assert.equal(res.status, 200, res.body.toString());
  }
  signedSmall = sign(small.locator, USER_TOKEN);
});
after(() => ks?.destroy());

function remember(locator: string): string {
  const m = /\+A([0-9a-f]{40})@/.exec(locator);
  if (m) signatures.add(m[1]!);
  return locator;
}

const get = (loc: string, headers: Record<string, string> = bearer(USER_TOKEN), method = 'GET') =>
  request(`${ks.url}/${remember(loc)}`, { method, headers });

describe('PUT', () => {
  test('with a token: 200, a signed locator, replicas and storage classes headers', async () => {
    const b = makeBlock(4321);
    const res = await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(USER_TOKEN) });
    assert.equal(res.status, 200);
    const text = res.body.toString();
    const m = /^([0-9a-f]{32})\+(\d+)\+A([0-9a-f]{40})@([0-9a-f]{8})\n$/.exec(text);
    assert.ok(m, `unexpected body ${JSON.stringify(text)}`);
    assert.equal(m[1], b.hash);
    assert.equal(Number(m[2]), 4321);
    signatures.add(m[3]!);
    assert.equal(m[3], computeSignature(b.hash, USER_TOKEN, m[4]!, TTL_SECONDS, SIGNING_KEY));
    const expiry = parseInt(m[4]!, 16);
    const now = Date.now() / 1000;
    assert.ok(Math.abs(expiry - (now + TTL_SECONDS)) < 60, 'expires blobSigningTTL from now');
    assert.equal(res.headers['x-keep-replicas-stored'], '1');
    assert.equal(res.headers['x-keep-storage-classes-confirmed'], 'default=1');
    // Stored on the first volume in rendezvous order, and only there.
    const vols = [0, 1, 2].map((i) => ({ uuid: volumeUuid(i), root: ks.volumeRoot(i), priority: 0 }));
    const first = rendezvousOrder(b.hash, vols)[0]!;
    assert.ok(fs.existsSync(blockFile(first.root, b.hash)));
    for (const v of vols) if (v !== first) assert.ok(!fs.existsSync(blockFile(v.root, b.hash)));
  });

  test('without a token: the bare locator', async () => {
    const b = makeBlock(10);
    const res = await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), `${b.locator}\n`);
  });

  test('the locator in the path may carry a size and hints', async () => {
    const b = makeBlock(77);
    const res = await request(`${ks.url}/${b.locator}+K@zzzzz`, { method: 'PUT', body: b.data });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), `${b.locator}\n`);
  });

  test('the empty block', async () => {
    const res = await request(`${ks.url}/${EMPTY}`, { method: 'PUT', body: Buffer.alloc(0), headers: bearer(USER_TOKEN) });
    assert.equal(res.status, 200);
    assert.match(remember(res.body.toString()), new RegExp(`^${EMPTY}\\+0\\+A[0-9a-f]{40}@[0-9a-f]{8}\\n$`));
  });
});

describe('GET and HEAD', () => {
  test('GET with the signed locator: the exact bytes and Content-Length', async () => {
    for (const b of [small, big]) {
      const res = await get(sign(b.locator, USER_TOKEN));
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], String(b.data.length));
      assert.ok(res.complete);
      assert.ok(res.body.equals(b.data), 'same bytes');
    }
  });

  test('HEAD: 200 with Content-Length and no body', async () => {
    const res = await get(sign(big.locator, USER_TOKEN), bearer(USER_TOKEN), 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(big.data.length));
    assert.equal(res.body.length, 0);
  });

  test('HEAD needs no size hint', async () => {
    const res = await get(sign(small.hash, USER_TOKEN), bearer(USER_TOKEN), 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '1000');
  });

  test('GET without a size hint: 405, except the empty block', async () => {
    const res = await get(sign(small.hash, USER_TOKEN));
    assert.equal(res.status, 405);
    const empty = await get(sign(EMPTY, USER_TOKEN));
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal(empty.body.length, 0);
  });

  test('unknown block: 404; a size hint that does not match: 404', async () => {
    const unknown = makeBlock(5);
    assert.equal((await get(sign(unknown.locator, USER_TOKEN))).status, 404);
    assert.equal((await get(sign(unknown.locator, USER_TOKEN), bearer(USER_TOKEN), 'HEAD')).status, 404);
    assert.equal((await get(sign(`${small.hash}+999`, USER_TOKEN))).status, 404);
  });

  test('extra hints in any order are accepted', async () => {
    const res = await get(`${sign(small.locator, USER_TOKEN)}+K@zzzzz`);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(small.data));
  });
});

describe('locator and signature errors', () => {
  const urlSafe = vectors.locators.invalid.filter((l) => l !== '');
  test('invalid locators: 400 "invalid locator" on GET, HEAD and PUT', async () => {
    assert.ok(urlSafe.length >= 8);
    for (const loc of urlSafe) {
      for (const method of ['GET', 'PUT']) {
        const res = await request(`${ks.url}/${loc}`, {
          method,
          headers: bearer(USER_TOKEN),
          ...(method === 'PUT' ? { body: 'abc' } : {}),
        });
        assert.equal(res.status, 400, `${method} ${loc}`);
        assert.equal(res.body.toString(), 'invalid locator\n', `${method} ${loc}`);
      }
      const head = await request(`${ks.url}/${loc}`, { method: 'HEAD', headers: bearer(USER_TOKEN) });
      assert.equal(head.status, 400, `HEAD ${loc}`);
    }
  });

  test('signature missing, malformed or wrong: 400 "invalid signature"', async () => {
    const h = small.hash;
    const wrong = [
      small.locator, // no +A hint at all
      `${small.locator}+A${'0'.repeat(40)}@${'f'.repeat(8)}`, // well-formed, wrong
      sign(small.locator, 'some-other-token'), // signed for another token
      `${sign(small.locator, USER_TOKEN)}+A${'1'.repeat(40)}@7fffffff`, // two A hints
      ...vectors.signature.missing.map((l) => l.replace('acbd18db4cc2f85cedef654fccc4a4d8', h).replace('+3', '+1000')),
    ];
    for (const loc of wrong) {
      const res = await get(loc);
      assert.equal(res.status, 400, loc);
      assert.equal(res.body.toString(), 'invalid signature\n', loc);
      assert.equal((await get(loc, bearer(USER_TOKEN), 'HEAD')).status, 400, `HEAD ${loc}`);
    }
    // The right signature for the hash but read with another token.
    const res = await get(signedSmall, bearer('another-token'));
    assert.equal(res.status, 400);
  });

  test('expired signature: 401 "expired signature"', async () => {
    const res = await get(sign(small.locator, USER_TOKEN, -60));
    assert.equal(res.status, 401);
    assert.equal(res.body.toString(), 'expired signature\n');
  });

  test('no token: 401 "no token provided in Authorization header"', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await get(signedSmall, {}, method);
      assert.equal(res.status, 401);
      if (method === 'GET') assert.equal(res.body.toString(), 'no token provided in Authorization header\n');
    }
  });
});

describe('token sources', () => {
  const basic = (user: string, pass: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
  const sources: Array<[string, (loc: string) => [string, Record<string, string>]]> = [
    ['Bearer', (loc) => [loc, { Authorization: `Bearer ${USER_TOKEN}` }]],
    ['OAuth2', (loc) => [loc, { Authorization: `OAuth2 ${USER_TOKEN}` }]],
    ['Basic password', (loc) => [loc, basic('arvados', USER_TOKEN)]],
    ['api_token query', (loc) => [`${loc}?api_token=${encodeURIComponent(USER_TOKEN)}`, {}]],
    ['arvados_api_token cookie', (loc) => [loc, { Cookie: `other=1; arvados_api_token=${USER_TOKEN}` }]],
  ];
  for (const [name, build] of sources) {
    test(`${name}: GET works, and PUT signs for that token`, async () => {
      const [path, headers] = build(signedSmall);
      const res = await request(`${ks.url}/${path}`, { headers });
      assert.equal(res.status, 200, res.body.toString());
      assert.ok(res.body.equals(small.data));
      const b = makeBlock(33);
      const [putPath, putHeaders] = build(b.hash);
      const put = await request(`${ks.url}/${putPath}`, { method: 'PUT', body: b.data, headers: putHeaders });
      assert.equal(put.status, 200);
      const m = /\+A([0-9a-f]{40})@([0-9a-f]{8})\n$/.exec(remember(put.body.toString()));
      assert.ok(m, put.body.toString());
      assert.equal(m[1], computeSignature(b.hash, USER_TOKEN, m[2]!, TTL_SECONDS, SIGNING_KEY));
    });
  }

  test('the Authorization header wins over the query and the cookie', async () => {
    const res = await request(`${ks.url}/${signedSmall}?api_token=wrong`, {
      headers: { ...bearer(USER_TOKEN), Cookie: 'arvados_api_token=wrong' },
    });
    assert.equal(res.status, 200);
    const res2 = await request(`${ks.url}/${signedSmall}?api_token=${USER_TOKEN}`, { headers: { Cookie: 'arvados_api_token=wrong' } });
    assert.equal(res2.status, 200, 'the query wins over the cookie');
  });
});

describe('request ids, CORS, unknown routes', () => {
  test('X-Request-Id is echoed, or generated', async () => {
    const echoed = await get(signedSmall, { ...bearer(USER_TOKEN), 'X-Request-Id': 'req-test-echo-1' });
    assert.equal(echoed.headers['x-request-id'], 'req-test-echo-1');
    const ids = new Set<string>();
    for (const res of [await get(signedSmall), await get('nonsense'), await request(`${ks.url}/no/such/path`)]) {
      const id = res.headers['x-request-id'];
      assert.match(String(id), /^req-[0-9a-z]{20}$/);
      ids.add(String(id));
    }
    assert.equal(ids.size, 3, 'a new id per request');
  });

  test('CORS headers on success and error responses', async () => {
    for (const res of [await get(signedSmall), await get(small.locator), await request(`${ks.url}/index`)]) {
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.match(String(res.headers['access-control-allow-methods']), /GET, HEAD, PUT, OPTIONS/);
    }
  });

  test('OPTIONS preflight: 200 with CORS headers, no body, no auth needed', async () => {
    for (const path of [`/${small.hash}`, `/${signedSmall}`, '/index', '/anything/at/all']) {
      const res = await request(`${ks.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://workbench.example',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'authorization',
        },
      });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.match(String(res.headers['access-control-allow-methods']), /PUT/);
      assert.match(String(res.headers['access-control-allow-headers']), /Authorization/i);
      assert.equal(res.body.length, 0);
    }
  });

  test('unknown paths and methods: 400', async () => {
    const cases: Array<[string, string]> = [
      ['GET', '/'],
      ['GET', '/no/such/path'],
      ['GET', `/${small.hash}/extra`],
      ['POST', `/${small.hash}`],
      ['PATCH', `/${small.locator}`],
      ['POST', '/index'],
      ['PUT', '/mounts'],
      ['DELETE', '/status.json'],
      ['PATCH', '/pull'],
      ['GET', '/pull/pause'],
    ];
    for (const [method, path] of cases) {
      const res = await request(`${ks.url}${path}`, { method, headers: { Authorization: `Bearer ${ROOT_TOKEN}` } });
      assert.equal(res.status, 400, `${method} ${path}: ${res.body.toString()}`);
      assert.equal(res.headers['content-type']?.split(';')[0], 'text/plain');
      assert.equal(res.body.toString().split('\n').length, 2, 'one line');
    }
  });
});

describe('the access log', () => {
  test('one line per request: method, path without signature, status, bytes, duration, request id, worker', async () => {
    const id = `req-log-check-${Date.now()}`;
    const res = await get(signedSmall, { ...bearer(USER_TOKEN), 'X-Request-Id': id });
    assert.equal(res.status, 200);
    const line = await ks.waitForLog((l) => l.message === 'request' && l['requestId'] === id);
    assert.equal(line['method'], 'GET');
    assert.equal(line['path'], `/${small.locator}`);
    assert.equal(line['status'], 200);
    assert.equal(line['bytesOut'], 1000);
    assert.equal(typeof line['bytesIn'], 'number');
    assert.equal(typeof line['durationMs'], 'number');
    assert.equal(line.role, 'worker');
    assert.ok(line.worker === 0 || line.worker === 1, `worker ${String(line.worker)}`);
    assert.equal(ks.logs.filter((l) => l.message === 'request' && l['requestId'] === id).length, 1);
  });

  test('PUT logs its bytes in; errors log their status', async () => {
    const b = makeBlock(2048);
    const id = `req-log-put-${Date.now()}`;
    await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: { ...bearer(USER_TOKEN), 'X-Request-Id': id } });
    const line = await ks.waitForLog((l) => l.message === 'request' && l['requestId'] === id);
    assert.deepEqual([line['method'], line['path'], line['status'], line['bytesIn']], ['PUT', `/${b.hash}`, 200, 2048]);
    const id2 = `req-log-err-${Date.now()}`;
    await get(sign(small.locator, USER_TOKEN, -5), { ...bearer(USER_TOKEN), 'X-Request-Id': id2 });
    const err = await ks.waitForLog((l) => l.message === 'request' && l['requestId'] === id2);
    assert.equal(err['status'], 401);
  });

  test('percent-encoded locators: served like plain ones, logged without the signature', async () => {
    const signed = remember(sign(small.locator, USER_TOKEN));
    const variants = [signed.replaceAll('+', '%2B').replace('@', '%40'), signed.replace('+A', '+%41'), `${signed.replace('+A', '%2BA')}`];
    for (const [i, v] of variants.entries()) {
      const id = `req-encoded-${i}-${Date.now()}`;
      const res = await request(`${ks.url}/${v}`, { headers: { ...bearer(USER_TOKEN), 'X-Request-Id': id } });
      assert.equal(res.status, 200, v);
      const line = await ks.waitForLog((l) => l.message === 'request' && l['requestId'] === id);
      assert.equal(line['path'], `/${small.locator}`, v);
    }
    // Unknown routes and undecodable paths name the path in the error, never the hint.
    for (const [method, p] of [
      ['POST', `/${signed.replaceAll('+', '%2B')}`],
      ['GET', `/${signed.replaceAll('+', '%2B')}%ZZ`],
      ['GET', `/x%0Ay/${signed}`],
    ]) {
      const res = await request(`${ks.url}${p}`, { method, headers: bearer(USER_TOKEN) });
      assert.equal(res.status, 400, `${method} ${p}`);
      assert.ok(!res.body.toString().includes(signed.slice(-49)), 'no signature in the error body');
      assert.equal(res.body.toString().split('\n').length, 2, 'one line');
    }
  });

  test('no token, signature or key appears anywhere in the logs (runs last)', async () => {
    // Wait until every request of this file has been logged.
    await new Promise((r) => setTimeout(r, 200));
    const text = [...ks.logs.map((l) => JSON.stringify(l)), ...ks.rawErr].join('\n');
    assert.ok(
      ks.logs.some((l) => l.message === 'request'),
      'there are request lines',
    );
    for (const secret of [USER_TOKEN, ROOT_TOKEN, MGMT_TOKEN, SIGNING_KEY, encodeURIComponent(USER_TOKEN)]) {
      assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 8)}...) leaked into the logs`);
    }
    assert.ok(signatures.size >= 5, `checked ${signatures.size} signatures`);
    for (const sig of signatures) assert.ok(!text.includes(sig), `signature ${sig} leaked into the logs`);
    assert.equal(/\+A[0-9a-f]{40}@/.test(text), false);
    // No request ever wrote to a place it should not: the volumes hold blocks only.
    const stray = (await Promise.all([0, 1, 2].map((i) => filesUnder(ks.volumeRoot(i))))).flat().filter((f) => /tmp/.test(f));
    assert.deepEqual(stray, []);
  });
});
