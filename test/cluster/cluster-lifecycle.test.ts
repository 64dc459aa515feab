/**
 * The real multi-process binary under load and through its lifecycle: many concurrent
 * clients, a worker SIGKILLed mid-traffic, SIGTERM with a request in flight, and SIGHUP
 * growing and shrinking the pool (YAML config) without failing requests; a bad config on
 * SIGHUP is refused and the old one kept.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assignVolumes } from '../../packages/server/src/primary/volume-assignment.ts';
import {
  adminHeaders,
  freePort,
  MGMT_TOKEN,
  ROOT_TOKEN,
  SIGNING_KEY,
  startKeepstore,
  volumeUuid,
  waitFor,
  type Keepstore,
} from '../helpers/keepstore-process.ts';
import { bearer, blockFile, filesFor, makeBlock, openHalfUpload, request, sign, type Block } from '../helpers/keep-http.ts';
import { pidAlive, spawnBin } from '../helpers/spawn-bin.ts';

const TOKEN = 'cluster-test-user-token';

interface WorkerView {
  index: number;
  pid: number;
  state: string;
  volumes: string[];
  restarts: number;
}
async function workers(url: string): Promise<WorkerView[]> {
  const res = await request(`${url}/status.json`, { headers: adminHeaders });
  assert.equal(res.status, 200);
  return JSON.parse(res.body.toString()).workers as WorkerView[];
}

/** Run `fn` over `items`, `limit` at a time. */
async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const putBlock = (url: string, b: Block, headers: Record<string, string> = {}) =>
  request(`${url}/${b.hash}`, { method: 'PUT', body: b.data, headers: { ...bearer(TOKEN), ...headers }, timeoutMs: 20_000 });
const getBlock = (url: string, b: Block, headers: Record<string, string> = {}) =>
  request(`${url}/${sign(b.locator, TOKEN)}`, { headers: { ...bearer(TOKEN), ...headers }, timeoutMs: 20_000 });

/** Requests in a loop from `clients` clients until stop(); each failure is recorded, none retried. */
function trafficLoop(url: string, blocks: Block[], clients: number) {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; running; i++) {
      const b = blocks[(c * 7 + i) % blocks.length]!;
      try {
        const res = i % 4 === 0 ? await putBlock(url, b) : await getBlock(url, b);
        if (res.status === 200 && (i % 4 === 0 || res.body.equals(b.data))) ok++;
        else failures.push(`status ${res.status} ${res.body.toString().slice(0, 80)}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  return {
    get ok() {
      return ok;
    },
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('a running cluster (2 workers)', () => {
  let ks: Keepstore;
  const blocks: Block[] = [];
  after(() => ks?.destroy());

  test('200 blocks of random sizes, 32 clients at a time: every PUT and GET is correct', { timeout: 120_000 }, async () => {
    ks = await startKeepstore({ workers: 2, volumeCount: 2 });
    for (let i = 0; i < 200; i++) blocks.push(makeBlock(Math.floor(Math.random() * 1024 * 1024) + 1));
    await inPool(blocks, 32, async (b) => {
      const res = await putBlock(ks.url, b);
      assert.equal(res.status, 200, res.body.toString());
      assert.match(res.body.toString(), new RegExp(`^${b.hash}\\+${b.data.length}\\+A[0-9a-f]{40}@[0-9a-f]{8}\\n$`));
    });
    await inPool(blocks, 32, async (b) => {
      const res = await getBlock(ks.url, b);
      assert.equal(res.status, 200);
      assert.ok(res.complete && res.body.equals(b.data), `${b.locator} read back wrong`);
    });
    // Both workers served traffic (a fresh connection per request spreads them).
    const served = new Set(ks.logs.filter((l) => l.message === 'request').map((l) => l.worker));
    assert.deepEqual([...served].sort(), [0, 1]);
  });

  test('a worker SIGKILLed mid-traffic: the others keep answering, it comes back with a new pid', { timeout: 90_000 }, async () => {
    const before = await workers(ks.url);
    const victim = before[0]!;
    const light = blocks.filter((b) => b.data.length < 256 * 1024);
    const attempts: Array<{ id: string; error: string | null }> = [];
    const gaveUp: string[] = [];
    let running = true;
    const client = async (c: number) => {
      for (let i = 0; running; i++) {
        const b = light[(c * 13 + i) % light.length]!;
        for (let attempt = 0; ; attempt++) {
          const id = `req-kill-${c}-${i}-${attempt}`;
          // 5 s, not more: under `scheduling: "round-robin"` the one connection the primary was
          // handing to the killed worker is never answered nor closed (Node's RoundRobinHandle
          // closes a handed-off handle only when the worker acknowledges it), which is why
          // "os" is the default; the client gives up on a dropped connection and retries.
          const res = await request(`${ks.url}/${sign(b.locator, TOKEN)}`, {
            headers: { ...bearer(TOKEN), 'X-Request-Id': id },
            timeoutMs: 5000,
          }).catch((err: Error) => err);
          const error =
            res instanceof Error
              ? res.message
              : res.status !== 200 || !res.complete || !res.body.equals(b.data)
                ? `status ${res.status}`
                : null;
          attempts.push({ id, error });
          if (error === null) break;
          if (attempt >= 5) {
            gaveUp.push(`${b.locator}: ${error}`);
            break;
          }
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    let back: WorkerView;
    try {
      await waitFor(() => attempts.length >= 40, 30_000, 'traffic before the kill');
      process.kill(victim.pid, 'SIGKILL');
      back = await waitFor(
        async () => {
          const w = (await workers(ks.url)).find((x) => x.index === victim.index)!;
          return w.pid !== victim.pid && w.state === 'listening' && w.restarts >= 1 ? w : undefined;
        },
        30_000,
        'the worker to come back',
      );
      const afterRestart = attempts.length;
      await waitFor(() => attempts.length >= afterRestart + 40, 30_000, 'traffic after the restart');
    } finally {
      running = false;
      await Promise.all(clients);
    }
    assert.deepEqual(gaveUp, [], 'every request succeeded within 5 retries');
    assert.deepEqual(back.volumes, victim.volumes, 'the new worker owns the same volumes');
    assert.ok(!pidAlive(victim.pid));
    const failed = attempts.filter((a) => a.error !== null);
    assert.ok(failed.length <= 8, `${failed.length} failures for 8 clients: ${failed.map((f) => f.error).join('; ')}`);
    // A failed attempt never reached a surviving worker: only the killed one can have dropped it.
    for (const f of failed) {
      const served = ks.logs.find((l) => l.message === 'request' && l['requestId'] === f.id);
      assert.ok(!served || served.worker === victim.index, `${f.id} failed on worker ${served?.worker}: ${f.error}`);
    }
    assert.ok(ks.logs.some((l) => l.message === 'worker died, restarting' && l['workerIndex'] === victim.index));
  });

  test('SIGTERM: an upload in flight finishes with 200, exit 0, no worker left', { timeout: 60_000 }, async () => {
    const pids = (await workers(ks.url)).map((w) => w.pid);
    const b = makeBlock(1024 * 1024);
    const upload = openHalfUpload(ks.url, b, bearer(TOKEN));
    await waitFor(async () => (await filesFor([ks.volumeRoot(0), ks.volumeRoot(1)], b.hash)).length > 0, 10_000, 'the upload to start');
    const exit = ks.stop();
    await waitFor(() => ks.logs.filter((l) => l.message === 'worker stopping').length >= 2, 10_000, 'workers stopping');
    upload.finish();
    const res = await upload.response;
    assert.equal(res.status, 200);
    assert.match(res.body, new RegExp(`^${b.hash}\\+${b.data.length}\\+A`));
    assert.equal(await exit, 0);
    await waitFor(() => pids.every((pid) => !pidAlive(pid)), 5000, 'worker processes gone');
    const stored = (await filesFor([ks.volumeRoot(0), ks.volumeRoot(1)], b.hash)).filter((f) => path.basename(f) === b.hash);
    assert.equal(stored.length, 1);
    assert.ok((await fs.readFile(stored[0]!)).equals(b.data));
    await assert.rejects(fetch(`${ks.url}/_health/ping`), 'nothing listens any more');
  });
});

describe('SIGHUP with a YAML config', () => {
  let dir: string;
  let bin: ReturnType<typeof spawnBin> | undefined;
  after(async () => {
    await bin?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  function yaml(port: number, workerCount: number | string): string {
    return [
      `listen: "127.0.0.1:${port}"`,
      `workers: ${workerCount}`,
      `systemRootToken: ${ROOT_TOKEN}`,
      `managementToken: ${MGMT_TOKEN}`,
      'blobSigning: true',
      `blobSigningKey: ${SIGNING_KEY}`,
      'shutdownGracePeriod: 10s',
      'log: { level: info, format: json }',
      'volumes:',
      `  - { uuid: ${volumeUuid(0)}, root: ./vol0 }`,
      `  - { uuid: ${volumeUuid(1)}, root: ./vol1 }`,
      '',
    ].join('\n');
  }

  test('workers 2 -> 3 -> 1 while requests run: the pool follows, no request fails; a bad config is refused', {
    timeout: 120_000,
  }, async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-sighup-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const file = path.join(dir, 'keepstore.yaml');
    await fs.writeFile(file, yaml(port, 2));
    bin = spawnBin(['--config', file]);
    await bin.waitHealthy(url, MGMT_TOKEN);
    const blocks = Array.from({ length: 20 }, (_, i) => makeBlock(1000 + i * 5000));
    for (const b of blocks) assert.equal((await putBlock(url, b)).status, 200);
    // Relative roots resolve against the YAML file's directory.
    assert.ok(
      await fs
        .stat(blockFile(path.join(dir, 'vol0'), blocks[0]!.hash))
        .catch(() => fs.stat(blockFile(path.join(dir, 'vol1'), blocks[0]!.hash))),
    );
    const uuids = [volumeUuid(0), volumeUuid(1)];
    const traffic = trafficLoop(url, blocks, 4);
    let previous = (await workers(url)).map((w) => w.pid);
    try {
      for (const n of [3, 1]) {
        await fs.writeFile(file, yaml(port, n));
        const reloads = bin.logs.filter((l) => l.message === 'reload complete').length;
        bin.proc.kill('SIGHUP');
        await waitFor(() => bin!.logs.filter((l) => l.message === 'reload complete').length > reloads, 30_000, `reload to ${n}`);
        const now = await waitFor(
          async () => {
            const w = await workers(url);
            return w.length === n && w.every((x) => x.state === 'listening') ? w : undefined;
          },
          30_000,
          `${n} workers listening`,
        );
        assert.deepEqual(
          now.map((w) => w.volumes),
          assignVolumes(uuids, n),
        );
        const gone = previous.filter((pid) => !now.some((w) => w.pid === pid));
        await waitFor(() => gone.every((pid) => !pidAlive(pid)), 15_000, 'retired workers to exit');
        previous = now.map((w) => w.pid);
        const ran = traffic.ok;
        await waitFor(() => traffic.ok >= ran + 20, 30_000, 'traffic after the reload');
      }
    } finally {
      await traffic.stop();
    }
    assert.deepEqual(traffic.failures, [], 'no request failed during the reloads');
    assert.ok(traffic.ok > 40, `only ${traffic.ok} requests ran`);

    // A bad config on SIGHUP: logged (naming the field), the running config kept.
    await fs.writeFile(file, yaml(port, 0));
    bin.proc.kill('SIGHUP');
    const refused = await waitFor(() => bin!.logs.find((l) => /SIGHUP.*rejected/.test(l.message)), 10_000, 'the refusal');
    assert.match(JSON.stringify(refused), /workers/);
    const still = await workers(url);
    assert.deepEqual(
      still.map((w) => w.pid),
      previous,
    );
    assert.equal((await getBlock(url, blocks[3]!)).status, 200);

    const exit = await bin.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(previous.every((pid) => !pidAlive(pid)));
  });
});

describe('signals during start-up', () => {
  let dir: string;
  const started: Array<ReturnType<typeof spawnBin>> = [];
  after(async () => {
    for (const b of started) await b.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  async function spawnStarting(): Promise<{ bin: ReturnType<typeof spawnBin>; url: string }> {
    dir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-startup-'));
    const port = await freePort();
    const file = path.join(dir, `c-${port}.json`);
    const volumes = [0, 1].map((i) => ({ uuid: volumeUuid(i), root: `./v${port}-${i}` }));
    await fs.writeFile(
      file,
      JSON.stringify({ listen: `127.0.0.1:${port}`, workers: 3, managementToken: MGMT_TOKEN, systemRootToken: ROOT_TOKEN, volumes }),
    );
    const bin = spawnBin(['--config', file]);
    started.push(bin);
    await waitFor(() => bin.logs.some((l) => l.message === 'keepstore starting'), 20_000, 'start-up');
    return { bin, url: `http://127.0.0.1:${port}` };
  }

  test('SIGTERM while workers start: exit 0, every worker gone', { timeout: 60_000 }, async () => {
    const { bin } = await spawnStarting();
    bin.proc.kill('SIGTERM');
    assert.deepEqual(await bin.exited, { code: 0, signal: null });
    const pids = bin.logs.filter((l) => l.message === 'worker starting').map((l) => l['pid'] as number);
    assert.ok(pids.length >= 1);
    await waitFor(() => pids.every((pid) => !pidAlive(pid)), 10_000, 'workers gone');
  });

  test('SIGHUP while workers start does not kill the server', { timeout: 60_000 }, async () => {
    const { bin, url } = await spawnStarting();
    bin.proc.kill('SIGHUP');
    await bin.waitHealthy(url, MGMT_TOKEN);
    assert.equal(bin.proc.exitCode, null);
    assert.deepEqual(await bin.stop(), { code: 0, signal: null });
  });
});
