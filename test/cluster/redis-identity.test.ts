/**
 * Servers sharing a Redis are told apart by their uuid (issue 14, item 2): with `redis`
 * configured a missing uuid is a start-up error, a second live server under our uuid makes the
 * newcomer refuse to start (naming both), and a restart of the same server is not refused.
 * The bad redis forms (issue 12) are start-up errors too.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, MGMT_TOKEN, startKeepstore, volumeUuid, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { send } from '../helpers/pull-helpers.ts';
import { spawnBin } from '../helpers/spawn-bin.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { heartbeatKey } from '../../packages/server/src/redis/redis-keys.ts';

let redisServer: RedisServer;
let redis: Redis;
let dir: string;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  redisServer = await startRedisServer();
  redis = new Redis(redisServer.url);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-identity-'));
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  redis?.disconnect();
  await redisServer?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const UUID = 'zzzzz-bi6l4-0000000000000c1';

function redisConfig(prefix: string, heartbeatInterval = '1s'): Record<string, unknown> {
  return { url: redisServer.url, keyPrefix: prefix, heartbeatInterval };
}

/** Run the binary on a config written to a file; resolves with its exit code and stderr. */
async function runToExit(name: string, config: Record<string, unknown>): Promise<{ code: number | null; stderr: string }> {
  const p = path.join(dir, name);
  await fs.writeFile(p, JSON.stringify({ workers: 1, volumes: [{ uuid: volumeUuid(0), root: path.join(dir, name + '-vol') }], ...config }));
  const bin = spawnBin(['--config', p]);
  const { code } = await bin.exited;
  return { code, stderr: bin.stderr() };
}

test('with redis configured, a config without uuid is a start-up error (exit 2)', async () => {
  const { code, stderr } = await runToExit('no-uuid.json', { listen: `127.0.0.1:${await freePort()}`, redis: redisConfig('noid:') });
  assert.equal(code, 2);
  assert.match(stderr, /^\s*uuid: required when redis is configured/m);
});

test('bad redis forms are start-up errors naming the field (exit 2): sentinels without a name, a cluster without nodes', async () => {
  const uuid = UUID;
  const sentinels = await runToExit('sentinel-no-name.json', { uuid, redis: { sentinels: [{ host: '127.0.0.1', port: 26379 }] } });
  assert.equal(sentinels.code, 2);
  assert.match(sentinels.stderr, /^\s*redis\.name: required with sentinels/m);
  const cluster = await runToExit('cluster-empty.json', { uuid, redis: { cluster: [] } });
  assert.equal(cluster.code, 2);
  assert.match(cluster.stderr, /^\s*redis\.cluster: needs at least one node/m);
  const none = await runToExit('redis-empty.json', { uuid, redis: { keyPrefix: 'x:' } });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^\s*redis: set one of url, sentinels or cluster/m);
});

test('a second live server under our uuid is refused at start, naming both; the first keeps its keys', async () => {
  const prefix = `id${randomBytes(4).toString('hex')}:`;
  const first = await startKeepstore({ workers: 1, volumeCount: 1, config: { uuid: UUID, redis: redisConfig(prefix) } });
  cleanups.push(() => first.destroy());
  const key = heartbeatKey(prefix, UUID);
  await waitFor(async () => (await redis.get(key))?.includes(first.url), 10_000, 'the first heartbeat');

  const port = await freePort();
  const { code, stderr } = await runToExit('second.json', { uuid: UUID, listen: `127.0.0.1:${port}`, redis: redisConfig(prefix) });
  assert.equal(code, 2);
  const line = stderr.split('\n').find((l) => l.includes('refusing to start'));
  assert.ok(line, `a refusal in:\n${stderr}`);
  const refusal = JSON.parse(line) as Record<string, unknown>;
  assert.equal(refusal['level'], 'error');
  assert.match(
    String(refusal['message']),
    new RegExp(`uuid ${UUID} is in use by another live keepstore, ${first.url} on ${os.hostname()}`),
  );
  assert.match(String(refusal['message']), new RegExp(`this one is http://127\\.0\\.0\\.1:${port} on ${os.hostname()}`));
  assert.equal(refusal['otherUrl'], first.url);
  // The refused server left the first one's record alone, and the first one still beats.
  const record = JSON.parse((await redis.get(key))!) as { url: string; pid: number };
  assert.equal(record.url, first.url);
  assert.equal(record.pid, first.proc.pid);
});

test('a restart of the same server (same url and host) is not refused by its own live heartbeat', async () => {
  const prefix = `id${randomBytes(4).toString('hex')}:`;
  // A long interval: the killed server's record stays live (TTL 30 s) across the restart.
  const opts = {
    workers: 1,
    volumeCount: 1,
    config: { uuid: UUID, publicUrl: 'http://keep-a.example:25107', redis: redisConfig(prefix, '10s') },
  };
  const first: Keepstore = await startKeepstore(opts);
  cleanups.push(() => first.destroy());
  const key = heartbeatKey(prefix, UUID);
  await waitFor(async () => (await redis.get(key))?.includes(`"pid":${first.proc.pid}`), 10_000, 'the first heartbeat');
  first.proc.kill('SIGKILL');
  await first.stop();
  assert.ok((await redis.pttl(key)) > 5_000, 'the dead server heartbeat is still live');

  const second = await startKeepstore({ ...opts, dir: first.dir });
  cleanups.push(() => second.destroy());
  await waitFor(async () => (await redis.get(key))?.includes(`"pid":${second.proc.pid}`), 10_000, 'the restarted server heartbeat');
  assert.ok(!second.logs.some((l) => /refusing to start/.test(l.message)));
});

test('a claim Redis fails (OOM at maxmemory) is warned about and tried again: the uuid is claimed once Redis takes writes', async () => {
  const prefix = `id${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-0000000000000c2';
  const key = heartbeatKey(prefix, uuid);
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
  await redis.config('SET', 'maxmemory', '1'); // every write is refused with OOM; reads still work
  try {
    const ks = await startKeepstore({ workers: 1, volumeCount: 1, config: { uuid, redis: redisConfig(prefix) } });
    cleanups.push(() => ks.destroy());
    await waitFor(() => ks.logs.some((l) => l.message.startsWith('cannot claim our uuid in redis')), 10_000, 'the claim warning');
    assert.equal(await redis.get(key), null);
    await redis.config('SET', 'maxmemory', '0');
    // Connected all along, so no reconnect comes: only the retry claims it (before the fix, never).
    await waitFor(async () => (await redis.get(key))?.includes(ks.url), 10_000, 'the heartbeat after Redis takes writes again');
    assert.ok(ks.logs.some((l) => l.message === 'claimed our uuid in redis: persisting the lists'));
  } finally {
    await redis.config('SET', 'maxmemory', '0');
  }
});

test('after losing Redis, a server claims its uuid again: one that another server took meanwhile is left alone', async () => {
  const prefix = `id${randomBytes(4).toString('hex')}:`;
  const uuid = 'zzzzz-bi6l4-0000000000000c3';
  const key = heartbeatKey(prefix, uuid);
  const ks = await startKeepstore({ workers: 1, volumeCount: 1, config: { uuid, redis: redisConfig(prefix) } });
  cleanups.push(() => ks.destroy());
  await waitFor(async () => (await redis.get(key))?.includes(ks.url), 10_000, 'its heartbeat');
  // What a partition looks like from Redis: our record expired and another server claimed the uuid.
  const other = { url: 'http://other.example:25107', uuid, host: 'other-host', pid: 1, updatedAt: new Date().toISOString() };
  await redis.set(key, JSON.stringify(other), 'PX', 60_000);
  await redis.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // our server's connection drops and comes back
  const refusal = await waitFor(
    () => ks.logs.find((l) => l.level === 'error' && String(l.message).includes(`uuid ${uuid} is in use by another live keepstore`)),
    15_000,
    'the refusal after the reconnect',
  );
  assert.match(String(refusal.message), /lists stay in memory only/);
  // Several heartbeat intervals later the other server's record is untouched (it used to be overwritten at once).
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.deepEqual(JSON.parse((await redis.get(key))!), other);
  assert.equal((await send(`${ks.url}/_health/ping`, 'GET', undefined, { Authorization: `Bearer ${MGMT_TOKEN}` })).status, 200);
});
