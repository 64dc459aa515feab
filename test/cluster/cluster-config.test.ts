/**
 * Starting the real binary the way an operator does: invalid configs exit non-zero with a
 * message naming the field; with no config at all it serves ./data on 127.0.0.1:25107 with
 * signing off and warnings (skipped when something else holds that port).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { volumeUuid } from '../helpers/keepstore-process.ts';
import { blockFile, makeBlock, request } from '../helpers/keep-http.ts';
import { cleanEnv, pidAlive, spawnBin } from '../helpers/spawn-bin.ts';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-config-bin-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const vol = { uuid: volumeUuid(0), root: './v0' };
const invalid: Array<[string, string, string, RegExp]> = [
  ['workers: 0', 'workers0.json', JSON.stringify({ workers: 0, volumes: [vol] }), /workers/],
  ['a bad volume uuid', 'baduuid.json', JSON.stringify({ volumes: [{ uuid: 'zzzzz-nyw5e-0', root: './v0' }] }), /volumes\.0\.uuid/],
  ['an unknown field', 'unknown.json', JSON.stringify({ volumes: [vol], workerz: 2 }), /workerz/],
  ['an unknown volume field', 'unknownvol.json', JSON.stringify({ volumes: [{ ...vol, path: '/x' }] }), /volumes\.0.*path/],
  ['a bad duration', 'duration.json', JSON.stringify({ volumes: [vol], blobSigningTTL: '2 weeks' }), /blobSigningTTL/],
  ['signing without a key', 'nokey.json', JSON.stringify({ volumes: [vol], blobSigning: true }), /blobSigningKey/],
  [
    'a missing key file',
    'keyfile.json',
    JSON.stringify({ volumes: [vol], blobSigning: true, blobSigningKeyFile: 'nope.key' }),
    /blobSigningKeyFile/,
  ],
  ['broken YAML', 'broken.yaml', 'workers: [1, 2\nvolumes: x\n', /broken\.yaml/],
  ['YAML with a bad field', 'bad.yml', `workers: -1\nvolumes:\n  - uuid: ${volumeUuid(0)}\n    root: v0\n`, /workers/],
];

describe('invalid configs', { concurrency: true }, () => {
  for (const [name, file, text, field] of invalid) {
    test(`${name}: exits non-zero naming the field`, async () => {
      const p = path.join(dir, file);
      await fs.writeFile(p, text);
      const bin = spawnBin(['--config', p]);
      const { code } = await bin.exited;
      assert.notEqual(code, 0);
      assert.notEqual(code, null);
      assert.match(bin.stderr(), field);
      assert.doesNotMatch(bin.stderr(), /^\s+at /m, 'a message, not a stack trace');
    });
  }
});

test('a config file that does not exist, and KEEPSTORE_CONFIG pointing at a bad one', async () => {
  const missing = spawnBin(['--config', path.join(dir, 'absent.json')]);
  assert.notEqual((await missing.exited).code, 0);
  assert.match(missing.stderr(), /absent\.json/);
  const p = path.join(dir, 'env-bad.json');
  await fs.writeFile(p, JSON.stringify({ workers: 'many' }));
  const viaEnv = spawnBin([], { env: cleanEnv({ KEEPSTORE_CONFIG: p }) });
  assert.notEqual((await viaEnv.exited).code, 0);
  assert.match(viaEnv.stderr(), /workers/);
});

test('start-up failures after validation: a missing read-only root, a port in use', async () => {
  const ro = path.join(dir, 'ro-missing.json');
  await fs.writeFile(ro, JSON.stringify({ workers: 1, volumes: [{ uuid: volumeUuid(7), root: './nowhere', readOnly: true }] }));
  const missing = spawnBin(['--config', ro]);
  assert.notEqual((await missing.exited).code, 0);
  assert.match(missing.stderr(), new RegExp(volumeUuid(7)));

  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = blocker.address() as net.AddressInfo;
    const busy = path.join(dir, 'busy.json');
    await fs.writeFile(busy, JSON.stringify({ listen: `127.0.0.1:${port}`, workers: 2, volumes: [vol] }));
    const bin = spawnBin(['--config', busy]);
    const { code } = await bin.exited;
    assert.notEqual(code, 0, 'a worker that cannot start is fatal, not respawned forever');
    assert.match(bin.stderr(), /EADDRINUSE/);
  } finally {
    blocker.close();
  }
});

/** True if nothing listens on 127.0.0.1:port (so the default start can use it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

test('no config at all: serves ./data on 127.0.0.1:25107, signing off, with warnings', async (t) => {
  if (!(await portFree(25107))) return t.skip('127.0.0.1:25107 is in use');
  const cwd = path.join(dir, 'bare');
  await fs.mkdir(cwd);
  const bin = spawnBin([], { cwd });
  try {
    try {
      await bin.waitHealthy('http://127.0.0.1:25107');
    } catch (err) {
      if (/EADDRINUSE/.test(bin.stderr())) return t.skip('127.0.0.1:25107 was taken meanwhile');
      throw err;
    }
    const b = makeBlock(4096);
    const put = await request(`http://127.0.0.1:25107/${b.hash}`, {
      method: 'PUT',
      body: b.data,
      headers: { Authorization: 'Bearer anyone' },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.toString(), `${b.locator}\n`, 'no signing key: an unsigned locator even with a token');
    assert.ok((await fs.readFile(blockFile(path.join(cwd, 'data'), b.hash))).equals(b.data), 'stored under ./data');
    const get = await request(`http://127.0.0.1:25107/${b.locator}`);
    assert.equal(get.status, 200, 'signing off: no signature needed');
    assert.ok(get.body.equals(b.data));
    const warnings = bin.logs
      .filter((l) => l.level === 'warn')
      .map((l) => l.message)
      .join('\n');
    assert.match(warnings, /no config file/);
    assert.match(warnings, /signing is off/);
    const status = JSON.parse((await request('http://127.0.0.1:25107/status.json')).body.toString());
    assert.equal(status.workers.length, os.availableParallelism(), 'workers default to the CPU count');
    const pids = status.workers.map((w: { pid: number }) => w.pid);
    assert.deepEqual(await bin.stop(), { code: 0, signal: null });
    assert.ok(pids.every((pid: number) => !pidAlive(pid)));
  } finally {
    await bin.stop();
  }
});
