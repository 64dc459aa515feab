// Middleware in-process: request ids, CORS, unknown routes and the error handler.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type InProcessApp, startInProcessApp } from '../helpers/in-process-app.ts';
import { bearer, makeBlock, openUpload, request, sign } from '../helpers/keep-http.ts';
import { ROOT_TOKEN, waitFor } from '../helpers/keepstore-process.ts';

let app: InProcessApp;

before(async () => {
  app = await startInProcessApp();
});
after(() => app.close());

test('X-Request-Id is echoed, or a new one generated per request (errors included)', async () => {
  const echoed = await request(`${app.url}/index`, { headers: { ...bearer(ROOT_TOKEN), 'X-Request-Id': 'req-inprocess-1' } });
  assert.equal(echoed.headers['x-request-id'], 'req-inprocess-1');
  const ids = new Set<string>();
  for (const path of ['/index', '/nonsense', '/no/such/path']) {
    const id = String((await request(`${app.url}${path}`)).headers['x-request-id']);
    assert.match(id, /^req-[0-9a-z]{20}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 3);
});

test('CORS headers on success and error responses; OPTIONS preflight is 200 with no body and no auth', async () => {
  const b = makeBlock(5);
  for (const res of [await request(`${app.url}/${b.hash}`, { method: 'PUT', body: b.data }), await request(`${app.url}/index`)]) {
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(String(res.headers['access-control-allow-methods']), /GET, HEAD, PUT, OPTIONS/);
  }
  const pre = await request(`${app.url}/anything/at/all`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://wb.example', 'Access-Control-Request-Method': 'PUT' },
  });
  assert.equal(pre.status, 200);
  assert.match(String(pre.headers['access-control-allow-headers']), /Authorization/);
  assert.equal(pre.body.length, 0);
});

test('unknown paths and methods: 400, one plain-text line, no signature in the message', async () => {
  const b = makeBlock(5);
  for (const [method, path] of [
    ['GET', '/'],
    ['POST', `/${b.hash}`],
    ['DELETE', '/status.json'],
    ['GET', `/${sign(b.locator, 'tok')}/extra`],
  ] as const) {
    const res = await request(`${app.url}${path}`, { method, headers: bearer(ROOT_TOKEN) });
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.equal(res.headers['content-type']?.split(';')[0], 'text/plain');
    const text = res.body.toString();
    assert.equal(text.split('\n').length, 2, 'one line');
    assert.doesNotMatch(text, /\+A[0-9a-f]{40}/);
  }
});

test('an unexpected error: 500 "internal error" to the client, the details only in the log with the request id', async () => {
  const readWhole = app.ctx.volumes.readWhole;
  app.ctx.volumes.readWhole = async () => {
    throw new Error('disk on fire at /secret/path');
  };
  try {
    const b = makeBlock(5);
    const res = await request(`${app.url}/${sign(b.locator, 'tok')}`, {
      headers: { ...bearer('tok'), 'X-Request-Id': 'req-inprocess-500' },
    });
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), 'internal error\n');
    const logged = app.logs.find((l) => l.message === 'unhandled error');
    assert.ok(logged, 'logged');
    assert.equal(logged['requestId'], 'req-inprocess-500');
    assert.match(JSON.stringify(logged), /disk on fire/);
  } finally {
    app.ctx.volumes.readWhole = readWhole;
  }
});

test('every request is access-logged once with its status and request id', async () => {
  const res = await request(`${app.url}/index`, { headers: { 'X-Request-Id': 'req-inprocess-log' } });
  assert.equal(res.status, 401);
  const lines = app.logs.filter((l) => l['requestId'] === 'req-inprocess-log');
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.equal(lines[0]!['status'], 401);
});

test('block requests recognised by their path and those taking the long way get the same answers, each admitted once', async () => {
  // One place per client: a request admitted twice on its way would be refused 429 by itself.
  const strict = await startInProcessApp({ config: { maxRequestsPerClient: 1 } });
  try {
    const b = makeBlock(700);
    const put = await request(`${strict.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer('tok') });
    assert.equal(put.status, 200);
    const signed = sign(b.locator, 'tok');
    const encoded = `%${signed.charCodeAt(0).toString(16)}${signed.slice(1)}`; // not matched by the path test
    for (const path of [signed, encoded]) {
      const got = await request(`${strict.url}/${path}`, { headers: bearer('tok') });
      assert.equal(got.status, 200, path);
      assert.deepEqual(got.body, b.data);
      const head = await request(`${strict.url}/${path}`, { method: 'HEAD', headers: bearer('tok') });
      assert.equal(head.status, 200, path);
    }
    const index = await request(`${strict.url}/index`, { headers: bearer(ROOT_TOKEN) });
    assert.equal(index.status, 200, 'named routes still answer');
    assert.match(index.body.toString(), new RegExp(b.hash));
    const post = await request(`${strict.url}/${signed}`, { method: 'POST', headers: bearer('tok') });
    assert.equal(post.status, 400, 'another method on a block path: unsupported request');
  } finally {
    await strict.close();
  }
});

test('idle timeout: stalled uploads at once are each cut once, a steady one is not, and the shared watch starts again after a quiet spell', async () => {
  const idle = await startInProcessApp({ config: { requestIdleTimeout: '300ms' } });
  const stall = (): Promise<unknown> => {
    const b = makeBlock(200_000);
    const upload = openUpload(`${idle.url}/${b.hash}`, b.data.length);
    upload.req.write(b.data.subarray(0, 1000));
    return upload.response.catch((err: unknown) => err); // cut: the connection is destroyed
  };
  const cuts = (): number => idle.logs.filter((l) => l.message === 'request idle timeout').length;
  try {
    const steady = makeBlock(1000);
    const stalled = [stall(), stall()];
    const ok = await request(`${idle.url}/${steady.hash}`, { method: 'PUT', body: steady.data });
    assert.equal(ok.status, 200);
    await Promise.all(stalled);
    await waitFor(() => cuts() === 2 || undefined, 5_000, 'both stalled uploads cut');
    const statuses = (): unknown[] => idle.logs.filter((l) => l.message === 'request').map((l) => l['status']);
    await waitFor(() => statuses().length === 3 || undefined, 5_000, 'three access-log lines');
    assert.deepEqual(statuses().sort(), [200, 408, 408]);
    await new Promise((r) => setTimeout(r, 400)); // nothing watched for a whole period: the timer stops
    await stall();
    await waitFor(() => cuts() === 3 || undefined, 5_000, 'a later stalled upload cut too');
  } finally {
    await idle.close();
  }
});
