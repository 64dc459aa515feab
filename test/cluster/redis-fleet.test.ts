/**
 * `keepstore fleet`: three real keepstores publish heartbeats to one private redis-server;
 * the command lists every live one (URL first) with its queues, and a server drops out when
 * it stops (at once) or dies (after the heartbeat TTL).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { fleet } from '../helpers/fleet-command.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

let redisServer: RedisServer;
let servers: Keepstore[] = [];
const prefix = `fleet${randomBytes(4).toString('hex')}:`;

before(async () => {
  redisServer = await startRedisServer();
  servers = await Promise.all(
    [1, 2, 3].map((i) =>
      startKeepstore({
        workers: 1,
        volumeCount: 1,
        config: { uuid: `zzzzz-bi6l4-00000000000f00${i}`, redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' } },
      }),
    ),
  );
});
after(async () => {
  await Promise.all(servers.map((s) => s.destroy()));
  await redisServer?.stop();
});

const rows = (out: string): string[] => out.trimEnd().split('\n').slice(1, -1);

test('fleet shows the three live keepstores, URL first, with their queues', async () => {
  const result = await waitFor(
    async () => {
      const r = await fleet('--redis', redisServer.url, '--key-prefix', prefix);
      return r.code === 0 && rows(r.out).length === 3 ? r : undefined;
    },
    10_000,
    'three servers in the fleet',
  );
  const lines = result.out.trimEnd().split('\n');
  assert.match(
    lines[0]!,
    /^URL\s+UUID\s+WORKERS\s+VOLUMES\s+PULL q\/run\/done\/fail\s+TRASH q\/run\/done\/fail\s+PULL PROGRESS\s+TRASH PROGRESS\s+SEEN$/,
  );
  assert.deepEqual(
    rows(result.out)
      .map((r) => r.split(/\s+/)[0])
      .sort(),
    servers.map((s) => s.url).sort(),
  );
  for (const row of rows(result.out))
    assert.match(
      row,
      /^http:\/\/127\.0\.0\.1:\d+\s+zzzzz-bi6l4-00000000000f00\d\s+1\/1\s+1 \([\d.]+ GiB free\)\s+0\/0\/0\/0\s+0\/0\/0\/0\s+0\/0 0\/s 0 B\/s eta 0s\s+0\/0 0\/s 0 B\/s eta 0s\s+\d+s$/,
    );
  assert.equal(lines.at(-1), '3 live keepstores');

  const json = await fleet('--redis', redisServer.url, '--key-prefix', prefix, '--json');
  const records = JSON.parse(json.out) as Array<Record<string, unknown>>;
  assert.equal(records.length, 3);
  for (const r of records) {
    assert.equal(Object.keys(r)[0], 'url');
    assert.ok(Array.isArray(r['volumes']) && typeof (r['volumes'] as Array<{ freeBytes: unknown }>)[0]!.freeBytes === 'number');
    assert.deepEqual(Object.keys(r['pullQueue'] as object).sort(), [
      'done',
      'enabled',
      'failed',
      'inProgress',
      'listAgeSeconds',
      'listSize',
      'paused',
      'progress',
      'queued',
      'throttled',
    ]);
  }
  const other = await fleet('--redis', redisServer.url, '--key-prefix', 'someone-else:');
  assert.equal(rows(other.out).length, 0, 'another prefix is another fleet');
});

test('a stopped server leaves the fleet at once, a killed one when its heartbeat expires', async () => {
  const [stopped, killed] = servers;
  assert.equal(await stopped!.stop(), 0);
  let r = await fleet('--redis', redisServer.url, '--key-prefix', prefix);
  assert.equal(rows(r.out).length, 2);
  assert.ok(!r.out.includes(stopped!.url));

  killed!.proc.kill('SIGKILL');
  await killed!.stop();
  const started = Date.now();
  r = await waitFor(
    async () => {
      const x = await fleet('--redis', redisServer.url, '--key-prefix', prefix);
      return rows(x.out).length === 1 ? x : undefined;
    },
    10_000,
    'the killed server to expire',
  );
  assert.ok(Date.now() - started < 8_000, 'gone within about 3 heartbeat intervals (plus the command start-up)');
  assert.ok(r.out.startsWith('URL') && r.out.includes(servers[2]!.url));
});

test('fleet reports an unreachable Redis and a missing --redis clearly', async () => {
  await redisServer.kill();
  const down = await fleet('--redis', redisServer.url);
  assert.equal(down.code, 1);
  assert.match(down.err, /^keepstore fleet: cannot read redis:\/\/127\.0\.0\.1:\d+: /);
  const missing = await fleet();
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--redis URL is required/);
});
