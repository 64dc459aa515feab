// Admin routes in-process: tokens, /index, /mounts, /status.json and /metrics through the fake
// primary, and the validation of pull and trash list uploads.
import assert from 'node:assert/strict';
import { constants } from 'node:buffer';
import { after, before, describe, test } from 'node:test';
import { type InProcessApp, startInProcessApp } from '../helpers/in-process-app.ts';
import { bearer, makeBlock, request } from '../helpers/keep-http.ts';
import { rawConnect } from '../helpers/raw-http.ts';
import { MGMT_TOKEN, ROOT_TOKEN, volumeUuid } from '../helpers/keepstore-process.ts';

let app: InProcessApp;
const admin = bearer(ROOT_TOKEN);

before(async () => {
  app = await startInProcessApp({ volumes: 2 });
});
after(() => app.close());

describe('tokens', () => {
  test('admin endpoints: no token 401 "Unauthorized", another token 403 "Forbidden", the root token 200', async () => {
    for (const path of ['/index', '/mounts', '/status.json']) {
      const none = await request(`${app.url}${path}`);
      assert.equal(none.status, 401, path);
      assert.equal(none.body.toString(), 'Unauthorized\n');
      const other = await request(`${app.url}${path}`, { headers: bearer('not-the-root-token') });
      assert.equal(other.status, 403, path);
      assert.equal(other.body.toString(), 'Forbidden\n');
      assert.equal((await request(`${app.url}${path}`, { headers: admin })).status, 200, path);
    }
  });

  test('health and metrics take the management token; the root token is 403 there', async () => {
    for (const path of ['/_health/ping', '/metrics']) {
      assert.equal((await request(`${app.url}${path}`)).status, 401, path);
      assert.equal((await request(`${app.url}${path}`, { headers: admin })).status, 403, path);
      assert.equal((await request(`${app.url}${path}`, { headers: bearer(MGMT_TOKEN) })).status, 200, path);
    }
  });

  test('copies of api_token that disagree: 400', async () => {
    const res = await request(`${app.url}/index?api_token=${ROOT_TOKEN}&api_token=other`);
    assert.equal(res.status, 400);
  });
});

describe('index and mounts', () => {
  test('/index lists stored blocks as HASH+SIZE MTIME then an empty line; a prefix narrows it; a bad prefix is 400', async () => {
    const b = makeBlock(77);
    assert.equal((await request(`${app.url}/${b.hash}`, { method: 'PUT', body: b.data })).status, 200);
    const all = (await request(`${app.url}/index`, { headers: admin })).body.toString();
    assert.match(all, new RegExp(`^${b.hash}\\+77 \\d+$`, 'm'));
    assert.ok(all.endsWith('\n\n'), 'ends with the empty line');
    const other = b.hash[0] === '0' ? '1' : '0';
    assert.equal(
      (await request(`${app.url}/index/${other}${b.hash.slice(1, 3)}`, { headers: admin })).body.toString().includes(b.hash),
      false,
    );
    assert.ok((await request(`${app.url}/index/${b.hash.slice(0, 3)}`, { headers: admin })).body.toString().includes(b.hash));
    assert.equal((await request(`${app.url}/index/xyz`, { headers: admin })).status, 400);
  });

  test("/mounts: the documented fields for each volume, sorted by uuid; an unknown mount's blocks 404", async () => {
    const res = await request(`${app.url}/mounts`, { headers: admin });
    const mounts = JSON.parse(res.body.toString()) as Array<Record<string, unknown>>;
    assert.deepEqual(
      mounts.map((m) => m['uuid']),
      [volumeUuid(0), volumeUuid(1)],
    );
    assert.deepEqual(Object.keys(mounts[0]!).sort(), ['allow_trash', 'allow_write', 'device_id', 'replication', 'storage_classes', 'uuid']);
    assert.equal((await request(`${app.url}/mounts/${volumeUuid(1)}/blocks`, { headers: admin })).status, 200);
    assert.equal((await request(`${app.url}/mounts/zzzzz-nyw5e-999999999999999/blocks`, { headers: admin })).status, 404);
  });

  test("/status.json: this worker's volumes and the primary's view (asked over rpc)", async () => {
    app.primary.status.pullQueue.queued = 7;
    const res = await request(`${app.url}/status.json`, { headers: admin });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body.toString()) as { volumes: Array<{ uuid: string }>; pullQueue: { queued: number }; servedBy: number };
    assert.deepEqual(
      body.volumes.map((v) => v.uuid),
      [volumeUuid(0), volumeUuid(1)],
    );
    assert.equal(body.pullQueue.queued, 7);
    assert.equal(body.servedBy, 0);
    assert.ok(app.primary.calls.some((c) => c.method === 'status'));
  });

  test("/metrics: the primary's text, with its content type", async () => {
    const res = await request(`${app.url}/metrics`, { headers: bearer(MGMT_TOKEN) });
    assert.equal(res.body.toString(), app.primary.metricsText);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
  });

  test('a refusal from the primary reaches the client with its status', async () => {
    app.primary.refuse = { status: 503, message: 'primary is stopping' };
    try {
      const res = await request(`${app.url}/status.json`, { headers: admin });
      assert.equal(res.status, 503);
      assert.equal(res.body.toString(), 'primary is stopping\n');
    } finally {
      app.primary.refuse = null;
    }
  });
});

describe('list uploads', () => {
  const hash = 'acbd18db4cc2f85cedef654fccc4a4d8';

  test('a valid pull list: handed to the primary in batches, then committed; 200 "Received N pull requests"', async () => {
    const before = app.primary.batches.length;
    const body = JSON.stringify([{ locator: `${hash}+3`, servers: ['http://peer.example:25107'] }]);
    const res = await request(`${app.url}/pull`, { method: 'PUT', body, headers: admin });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.body.toString(), 'Received 1 pull requests\n');
    assert.equal(app.primary.batches.length, before + 1);
    assert.deepEqual(
      app.primary.calls.slice(-2).map((c) => c.method),
      ['list:begin', 'list:commit'],
    );
  });

  test('a declared list body over MAX_LIST_BYTES (the longest string Node can decode): 413 before the body is read', async () => {
    const conn = await rawConnect(Number(new URL(app.url).port));
    try {
      const length = constants.MAX_STRING_LENGTH + 1; // 1 GiB was accepted, then failed the decode with a 500
      await conn.write(`PUT /pull HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ROOT_TOKEN}\r\nContent-Length: ${length}\r\n\r\n[`);
      const text = await conn.waitForText(/\r\n\r\n/);
      assert.match(text, /^HTTP\/1\.1 413 /);
      assert.match(text, /list too large/);
    } finally {
      conn.socket.destroy();
    }
  });

  test('invalid pull and trash lists: 400 naming what is wrong, nothing sent to the primary', async () => {
    const cases: Array<[string, string]> = [
      ['/pull', 'not json'],
      ['/pull', '{}'],
      ['/pull', JSON.stringify([{ locator: 'nonsense', servers: ['http://a:1'] }])],
      ['/pull', JSON.stringify([{ locator: `${hash}+3` }])],
      ['/trash', JSON.stringify([{ locator: `${hash}+3` }])],
      ['/trash', JSON.stringify([{ locator: `${hash}+3`, block_mtime: 'yesterday' }])],
    ];
    const calls = app.primary.calls.length;
    for (const [path, body] of cases) {
      const res = await request(`${app.url}${path}`, { method: 'PUT', body, headers: admin });
      assert.equal(res.status, 400, `${path} ${body}: ${res.body.toString()}`);
      assert.ok(res.body.toString().trim().length > 0, 'a message');
    }
    assert.equal(app.primary.calls.length, calls, 'no rpc for a refused list');
  });

  test('list uploads need the root token', async () => {
    for (const path of ['/pull', '/trash']) {
      assert.equal((await request(`${app.url}${path}`, { method: 'PUT', body: '[]' })).status, 401);
      assert.equal((await request(`${app.url}${path}`, { method: 'PUT', body: '[]', headers: bearer('user') })).status, 403);
    }
  });
});
