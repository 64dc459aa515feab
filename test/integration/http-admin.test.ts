/**
 * Admin and operator endpoints of the real server against docs/api.md: /index (exact
 * nanosecond mtimes, uuid order, the final empty line), /mounts, /mounts/UUID/blocks,
 * /status.json (worker volume assignment per README "Architecture"), /_health/ping, DELETE and untrash,
 * and the 401/403 rules of every admin and management endpoint.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assignVolumes } from '../../packages/server/src/primary/volume-assignment.ts';
import { MGMT_TOKEN, ROOT_TOKEN, startKeepstore, volumeUuid, type Keepstore } from '../helpers/keepstore-process.ts';
import { bearer, blockFile, filesUnder, makeBlock, request, sign, type Block } from '../helpers/keep-http.ts';

const USER = 'admin-test-user-token';
const admin = bearer(ROOT_TOKEN);
const EXPECTED_MOUNT_KEYS = ['allow_trash', 'allow_write', 'device_id', 'replication', 'storage_classes', 'uuid'];

let dir: string;
let ks: Keepstore;
/** Volumes in config order (deliberately not uuid order); roots[i] belongs to uuid i. */
const roots: string[] = [];
const blocks: Block[] = [];

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-admin-'));
  for (let i = 0; i < 4; i++) roots.push(path.join(dir, `v${i}`));
  await fs.mkdir(roots[3]!, { recursive: true });
  const volumes = [
    { uuid: volumeUuid(2), root: roots[2], replication: 2, storageClasses: ['default', 'archive'] },
    { uuid: volumeUuid(0), root: roots[0] },
    { uuid: volumeUuid(3), root: roots[3], readOnly: true },
    { uuid: volumeUuid(1), root: roots[1] },
  ];
  ks = await startKeepstore({ dir, workers: 2, config: { volumes } });
  for (let i = 0; i < 24; i++) {
    const b = makeBlock(100 + i * 37);
    const res = await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data });
    assert.equal(res.status, 200);
    blocks.push(b);
  }
});
after(async () => {
  await ks?.destroy();
  await fs.rm(dir, { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = admin) => request(`${ks.url}${p}`, { headers });

/** Which volume (index) holds each block file, from the disk. */
async function volumeOf(hash: string): Promise<number[]> {
  const out: number[] = [];
  for (const [i, root] of roots.entries()) if (await fs.stat(blockFile(root, hash)).catch(() => null)) out.push(i);
  return out;
}

/** Parses an index body; asserts the line format and the final empty line. */
function parseIndex(body: string): Array<{ hash: string; size: number; mtimeNs: bigint }> {
  assert.ok(body.endsWith('\n'), 'ends with a newline');
  const lines = body.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.pop(), '', 'the final empty line');
  return lines.map((line) => {
    const m = /^([0-9a-f]{32})\+(\d+) (\d+)$/.exec(line);
    assert.ok(m, `bad index line ${JSON.stringify(line)}`);
    return { hash: m[1]!, size: Number(m[2]), mtimeNs: BigInt(m[3]!) };
  });
}

describe('index', () => {
  test('every block, HASH+SIZE and the exact nanosecond mtime, volumes in uuid order, then an empty line', async () => {
    // One block also on a second volume, and one only on the read-only volume.
    const twice = blocks[0]!;
    const [home] = await volumeOf(twice.hash);
    const other = home === 0 ? 1 : 0;
    await fs.mkdir(path.dirname(blockFile(roots[other]!, twice.hash)), { recursive: true });
    await fs.copyFile(blockFile(roots[home!]!, twice.hash), blockFile(roots[other]!, twice.hash));
    const ro = makeBlock(999);
    await fs.mkdir(path.dirname(blockFile(roots[3]!, ro.hash)), { recursive: true });
    await fs.writeFile(blockFile(roots[3]!, ro.hash), ro.data);
    // Neither temp nor trash files are blocks.
    for (const [v, name] of [
      [0, `tmp${ro.hash}-abc`],
      [1, `${ro.hash}.trash.99999999999`],
    ] as const) {
      const d = path.dirname(blockFile(roots[v]!, ro.hash));
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, name), 'x');
    }

    const res = await get('/index');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const entries = parseIndex(res.body.toString());
    assert.equal(entries.length, blocks.length + 2);
    // Expected, from the disk: each volume's blocks with fs.stat's bigint mtimeNs. The index
    // must be volume 0's lines (any order), then volume 1's, and so on.
    const expected: Array<Set<string>> = [];
    for (const root of roots) {
      const lines = new Set<string>();
      for (const rel of await filesUnder(root)) {
        const name = path.basename(rel);
        if (!/^[0-9a-f]{32}$/.test(name)) continue;
        const st = await fs.stat(path.join(root, rel), { bigint: true });
        lines.add(`${name}+${st.size} ${st.mtimeNs}`);
      }
      expected.push(lines);
    }
    let v = 0;
    for (const e of entries) {
      const line = `${e.hash}+${e.size} ${e.mtimeNs}`;
      while (v < expected.length && !expected[v]!.has(line)) {
        assert.equal(expected[v]!.size, 0, `volume ${v} not finished when ${line} came (wrong mtime, or out of uuid order)`);
        v++;
      }
      assert.ok(v < expected.length, `${line} is not on disk like that`);
      expected[v]!.delete(line);
    }
    assert.ok(
      expected.every((set) => set.size === 0),
      'every stored block is listed',
    );
    assert.equal(entries.filter((e) => e.hash === twice.hash).length, 2, 'one line per stored copy');
    assert.ok(
      entries.some((e) => e.hash === ro.hash),
      'read-only volumes are listed',
    );
  });

  test('a prefix in the path or the query narrows the listing', async () => {
    const all = parseIndex((await get('/index')).body.toString());
    for (const prefix of [blocks[3]!.hash.slice(0, 1), blocks[3]!.hash.slice(0, 2), blocks[3]!.hash.slice(0, 4), blocks[3]!.hash]) {
      const want = all
        .filter((e) => e.hash.startsWith(prefix))
        .map((e) => e.hash)
        .sort();
      for (const p of [`/index/${prefix}`, `/index?prefix=${prefix}`]) {
        const res = await get(p);
        assert.equal(res.status, 200, p);
        assert.deepEqual(
          parseIndex(res.body.toString())
            .map((e) => e.hash)
            .sort(),
          want,
          p,
        );
      }
    }
    assert.equal((await get('/index/ffffffffffffffffffffffffffffffff')).body.toString(), '\n', 'nothing: just the empty line');
  });

  test('a bad prefix: 400', async () => {
    for (const p of [
      '/index/XYZ',
      '/index/ABC',
      '/index?prefix=zz',
      `/index/${'a'.repeat(33)}`,
      '/mounts/zzzzz-nyw5e-000000000000000/blocks?prefix=g',
    ]) {
      const res = await get(p);
      assert.equal(res.status, 400, p);
    }
  });

  test('a prefix given twice: 400 naming it, never the whole index', async () => {
    for (const p of ['/index?prefix=a&prefix=b', '/index?prefix=a&prefix=a', `/mounts/${volumeUuid(0)}/blocks?prefix=a&prefix=b`]) {
      const res = await get(p);
      assert.equal(res.status, 400, p);
      assert.equal(res.body.toString(), 'invalid prefix: given more than once\n', p);
    }
  });
});

describe('mounts', () => {
  test('GET /mounts: exactly the documented fields, sorted by uuid', async () => {
    const res = await get('/mounts');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const mounts = JSON.parse(res.body.toString()) as Array<Record<string, unknown>>;
    assert.deepEqual(
      mounts.map((m) => m['uuid']),
      [0, 1, 2, 3].map(volumeUuid),
    );
    for (const m of mounts) {
      assert.deepEqual(Object.keys(m).sort(), EXPECTED_MOUNT_KEYS);
      assert.equal(typeof m['device_id'], 'string');
      assert.ok((m['device_id'] as string).length > 0);
    }
    const pick = (m: Record<string, unknown>) => [m['allow_write'], m['allow_trash'], m['replication'], m['storage_classes']];
    assert.deepEqual(pick(mounts[0]!), [true, true, 1, { default: true }]);
    assert.deepEqual(pick(mounts[2]!), [true, true, 2, { default: true, archive: true }]);
    assert.deepEqual(pick(mounts[3]!), [false, false, 1, { default: true }]);
  });

  test('GET /mounts/UUID/blocks: the index of that volume only (with ?prefix=); unknown uuid 404', async () => {
    for (let v = 0; v < 3; v++) {
      const res = await get(`/mounts/${volumeUuid(v)}/blocks`);
      assert.equal(res.status, 200);
      const entries = parseIndex(res.body.toString());
      for (const e of entries) assert.ok((await volumeOf(e.hash)).includes(v));
      const onDisk = (await Promise.all(blocks.map(async (b) => ((await volumeOf(b.hash)).includes(v) ? [b.hash] : [])))).flat();
      assert.deepEqual(
        entries
          .map((e) => e.hash)
          .filter((h) => blocks.some((b) => b.hash === h))
          .sort(),
        onDisk.sort(),
      );
      if (entries[0]) {
        const p = entries[0].hash.slice(0, 3);
        const narrowed = parseIndex((await get(`/mounts/${volumeUuid(v)}/blocks?prefix=${p}`)).body.toString());
        assert.deepEqual(
          narrowed.map((e) => e.hash).sort(),
          entries
            .filter((e) => e.hash.startsWith(p))
            .map((e) => e.hash)
            .sort(),
        );
      }
    }
    assert.equal((await get('/mounts/zzzzz-nyw5e-999999999999999/blocks')).status, 404);
  });
});

describe('status and health', () => {
  test('GET /status.json: volumes, workers with their volumes (README "Architecture"), pull and trash queues', async () => {
    const res = await get('/status.json');
    assert.equal(res.status, 200);
    const s = JSON.parse(res.body.toString());
    assert.ok(Array.isArray(s.volumes));
    assert.deepEqual(
      s.volumes.map((v: { uuid: string }) => v.uuid),
      [0, 1, 2, 3].map(volumeUuid),
    );
    const expected = assignVolumes([2, 0, 3, 1].map(volumeUuid), 2);
    assert.equal(s.workers.length, 2);
    for (const [i, w] of s.workers.entries()) {
      assert.equal(w.index, i);
      assert.deepEqual(w.volumes, expected[i]);
      assert.equal(typeof w.pid, 'number');
      assert.equal(w.state, 'listening');
      assert.equal(w.restarts, 0);
    }
    for (const q of [s.pullQueue, s.trashQueue]) {
      for (const k of ['queued', 'inProgress', 'done', 'failed']) assert.equal(typeof q[k], 'number', k);
    }
  });

  test('GET /_health/ping with the management token: {"health":"OK"}', async () => {
    const res = await get('/_health/ping', bearer(MGMT_TOKEN));
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString()), { health: 'OK' });
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });
});

describe('auth', () => {
  const adminEndpoints: Array<[string, string, string?]> = [
    ['GET', '/index'],
    ['GET', '/index/abc'],
    ['GET', '/index?prefix=abc'],
    ['GET', '/mounts'],
    ['GET', `/mounts/${volumeUuid(0)}/blocks`],
    ['GET', '/status.json'],
    ['PUT', '/pull', '[]'],
    ['PUT', '/trash', '[]'],
    ['DELETE', `/${'a'.repeat(32)}+3`],
    ['PUT', `/untrash/${'a'.repeat(32)}+3`],
  ];
  test('admin endpoints: no token 401 "Unauthorized", another token 403 "Forbidden"', async () => {
    for (const [method, p, body] of adminEndpoints) {
      const none = await request(`${ks.url}${p}`, { method, ...(body ? { body } : {}) });
      assert.equal(none.status, 401, `${method} ${p}`);
      assert.equal(none.body.toString(), 'Unauthorized\n', `${method} ${p}`);
      for (const token of [USER, MGMT_TOKEN]) {
        const other = await request(`${ks.url}${p}`, { method, headers: bearer(token), ...(body ? { body } : {}) });
        assert.equal(other.status, 403, `${method} ${p} with ${token}`);
        assert.equal(other.body.toString(), 'Forbidden\n');
      }
    }
  });

  test('the admin token in every token source works (query and cookie too)', async () => {
    assert.equal((await get(`/mounts?api_token=${ROOT_TOKEN}`, {})).status, 200);
    assert.equal((await get('/mounts', { Cookie: `arvados_api_token=${ROOT_TOKEN}` })).status, 200);
    const basic = Buffer.from(`x:${ROOT_TOKEN}`).toString('base64');
    assert.equal((await get('/mounts', { Authorization: `Basic ${basic}` })).status, 200);
    assert.equal((await request(`${ks.url}/pull`, { method: 'PUT', body: '[]', headers: admin })).status, 200);
  });

  test('a repeated api_token is taken when the copies agree; copies that disagree are 400', async () => {
    assert.equal((await get(`/mounts?api_token=${ROOT_TOKEN}&api_token=${ROOT_TOKEN}`, {})).status, 200);
    const conflicting = await get(`/mounts?api_token=${ROOT_TOKEN}&api_token=${USER}`, {});
    assert.equal(conflicting.status, 400);
    assert.equal(conflicting.body.toString(), 'conflicting api_token parameters\n');
  });

  test('health and metrics: the management token; none 401, another (even the root token) 403', async () => {
    for (const p of ['/_health/ping', '/metrics']) {
      assert.equal((await get(p, {})).status, 401, p);
      assert.equal((await get(p, {})).body.toString(), 'Unauthorized\n');
      assert.equal((await get(p, bearer(ROOT_TOKEN))).status, 403, p);
      assert.equal((await get(p, bearer(USER))).status, 403, p);
      assert.equal((await get(p, bearer(MGMT_TOKEN))).status, 200, p);
    }
  });
});

describe('DELETE and untrash', () => {
  test('DELETE trashes a copy older than blobSigningTTL; untrash restores it; 404s otherwise', async () => {
    const b = blocks[5]!;
    const [v] = await volumeOf(b.hash);
    const file = blockFile(roots[v!]!, b.hash);
    // Too young (just written): nothing eligible.
    assert.equal((await request(`${ks.url}/${b.locator}`, { method: 'DELETE', headers: admin })).status, 404);
    const old = new Date(Date.now() - 15 * 24 * 3600 * 1000); // older than the 336h default TTL
    await fs.utimes(file, old, old);
    const del = await request(`${ks.url}/${b.locator}`, { method: 'DELETE', headers: admin });
    assert.equal(del.status, 200, del.body.toString());
    assert.equal(await fs.stat(file).catch(() => null), null, 'gone from its name');
    const trashed = (await fs.readdir(path.dirname(file))).filter((n) => n.startsWith(`${b.hash}.trash.`));
    assert.equal(trashed.length, 1);
    assert.equal((await get(`/${sign(b.locator, USER)}`, bearer(USER))).status, 404);
    assert.equal((await request(`${ks.url}/${b.locator}`, { method: 'DELETE', headers: admin })).status, 404, 'nothing left');

    const un = await request(`${ks.url}/untrash/${b.locator}`, { method: 'PUT', headers: admin });
    assert.equal(un.status, 200, un.body.toString());
    const back = await get(`/${sign(b.locator, USER)}`, bearer(USER));
    assert.equal(back.status, 200);
    assert.ok(back.body.equals(b.data));
    assert.equal((await request(`${ks.url}/untrash/${b.locator}`, { method: 'PUT', headers: admin })).status, 404, 'not in trash');
  });

  test('DELETE and untrash: unknown block 404, invalid locator 400', async () => {
    const unknown = makeBlock(3);
    assert.equal((await request(`${ks.url}/${unknown.locator}`, { method: 'DELETE', headers: admin })).status, 404);
    assert.equal((await request(`${ks.url}/untrash/${unknown.locator}`, { method: 'PUT', headers: admin })).status, 404);
    assert.equal((await request(`${ks.url}/xyzzy`, { method: 'DELETE', headers: admin })).status, 400);
    assert.equal((await request(`${ks.url}/untrash/xyzzy`, { method: 'PUT', headers: admin })).status, 400);
  });
});

describe('an index that breaks mid-way', () => {
  test('ends without the final empty line (runs last: removes a volume)', async () => {
    // The uuid-last writable volume vanishes: earlier volumes are listed, then the walk fails.
    await fs.rm(roots[2]!, { recursive: true, force: true });
    const res = await get('/index').catch(() => null);
    const looksComplete = res !== null && res.status === 200 && res.complete && res.body.toString().endsWith('\n\n');
    assert.ok(!looksComplete, 'a broken listing must not look complete');
  });
});
