/**
 * `keepstore fleet --watch` in a real pseudo-terminal: it draws a progress bar per server for
 * its pull and trash lists with the figures (finished of total, rate, time left, paused or
 * throttled) and redraws as they change, until Ctrl-C restores the terminal and exits 0. Not
 * a terminal: the plain table, once. One server is a real keepstore with a paused pull list;
 * another is a heartbeat record written straight into Redis, so its figures can be moved.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { fleet } from '../helpers/fleet-command.ts';
import { BIN, startKeepstore, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { listProgress, setPaused } from '../helpers/list-control.ts';
import { makeBlock, putPullList } from '../helpers/pull-helpers.ts';
import { spawnInPty } from '../helpers/pty.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import type { HeartbeatRecord } from '../../packages/server/src/redis/heartbeat-record.ts';
import { heartbeatKey } from '../../packages/server/src/redis/redis-keys.ts';

let redisServer: RedisServer;
let redis: Redis;
let ks: Keepstore;
const prefix = `watch${randomBytes(4).toString('hex')}:`;
const FAKE_UUID = 'zzzzz-bi6l4-0000000000000w2';

before(async () => {
  redisServer = await startRedisServer();
  redis = new Redis(redisServer.url);
  ks = await startKeepstore({
    workers: 1,
    volumeCount: 1,
    config: { uuid: 'zzzzz-bi6l4-0000000000000w1', redis: { url: redisServer.url, keyPrefix: prefix, heartbeatInterval: '1s' } },
  });
});
after(async () => {
  await ks?.destroy();
  redis?.disconnect();
  await redisServer?.stop();
});

/** A heartbeat record of a server that is half way through its pull list of `total`. */
function fakeRecord(done: number, total: number, extra: Partial<HeartbeatRecord['pullQueue']> = {}): HeartbeatRecord {
  const queue = { queued: total - done, inProgress: 0, done, failed: 0, listSize: total, listAgeSeconds: 60, enabled: true, paused: false };
  const progress = {
    total,
    done,
    failed: 0,
    entriesPerSecond: 2.5,
    bytesPerSecond: 3 * 1024 * 1024,
    etaSeconds: Math.ceil((total - done) / 2.5),
  };
  return {
    url: 'http://keep-fake.test:25107',
    uuid: FAKE_UUID,
    host: 'fake',
    pid: 1,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    heartbeatIntervalMs: 1000,
    volumes: [{ uuid: 'zzzzz-nyw5e-000000000000009', readOnly: false, freeBytes: 1024 ** 3 }],
    workers: { configured: 2, listening: 2, restarts: 0 },
    pullQueue: { ...queue, ...extra, progress },
    trashQueue: { ...queue, done: 0, queued: 0, listSize: 0, progress: { ...progress, total: 0, done: 0, etaSeconds: 0 } },
    persisted: { pull: null, trash: null },
  };
}
const publish = (r: HeartbeatRecord) => redis.set(heartbeatKey(prefix, r.uuid), JSON.stringify(r), 'PX', 600_000);

test('fleet --watch in a pseudo-terminal: bars and figures, redrawn as they change, Ctrl-C restores the terminal and exits 0', async (t) => {
  await setPaused(ks, 'pull', 'pause');
  const blocks = Array.from({ length: 3 }, () => makeBlock(1024));
  const list = blocks.map((b) => ({ locator: b.locator, servers: ['http://127.0.0.1:9'] }));
  assert.equal((await putPullList(ks, list)).status, 200);
  assert.equal((await listProgress(ks)).progress.total, 3);
  await publish(fakeRecord(25, 100));

  const watch = spawnInPty(
    [process.execPath, BIN, 'fleet', '--redis', redisServer.url, '--key-prefix', prefix, '--watch', '--interval', '0.5'],
    140,
  ); // wide enough for 40-cell bars
  t.after(() => watch.kill());
  // The first frame: both servers, each with its bars and figures. (Generous: starting node
  // on a loaded 2-core machine took seconds; this only says the watch does not hang.)
  await waitFor(
    () => {
      const out = watch.output();
      return out.includes(ks.url) && out.includes(`[${'#'.repeat(10)}${'-'.repeat(30)}]`) && /0\/3 .*paused/.test(out);
    },
    60_000,
    'the first frame',
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the terminal showed: ${JSON.stringify(watch.output().slice(-3000))}`);
  });
  const first = watch.output();
  assert.ok(first.startsWith('\x1b[?1049h\x1b[?25l'), 'the alternate screen, cursor hidden');
  assert.match(first, /keepstore fleet: 2 live keepstores, every 0\.5s/);
  assert.match(first, /http:\/\/keep-fake\.test:25107 {2}zzzzz-bi6l4-0000000000000w2 {2}workers 2\/2/);
  assert.match(first, /pull {2}\[#{10}-{30}\] +25% {2}25\/100\s+2\.5\/s\s+3\.0 MiB\/s {2}eta 30s/);
  assert.match(first, /pull {2}\[-{40}\] +0% {2}0\/3\s+0\/s\s+0 B\/s {2}eta -\s+paused/, 'the real server: paused, no time left');

  // The figures move: the next frames show them.
  await publish(fakeRecord(75, 100, { throttled: true }));
  await waitFor(
    () => /pull {2}\[#{30}-{10}\] +75% {2}75\/100.*eta 10s\s+throttled/.test(watch.output()),
    30_000,
    'a redraw with the new figures',
  );
  const frames = watch.output().split('\x1b[H').length - 1;
  assert.ok(frames >= 2, `redrawn (${frames} frames)`);

  watch.type('\x03');
  const { code } = await waitFor(() => watch.exited, 30_000, 'the watch to exit on Ctrl-C');
  assert.equal(code, 0);
  assert.ok(watch.output().includes('\x1b[?25h\x1b[?1049l'), 'cursor shown and the screen restored');
  t.diagnostic(`${frames} frames drawn`);
});

test('fleet --watch when stdout is not a terminal: the plain table, once; a bad --interval is refused', async () => {
  const once = await fleet('--redis', redisServer.url, '--key-prefix', prefix, '--watch');
  assert.equal(once.code, 0);
  assert.ok(!once.out.includes('\x1b'), 'no terminal control');
  assert.match(once.out, /^URL\s+UUID\s.*PULL PROGRESS\s+TRASH PROGRESS\s+SEEN$/m);
  assert.match(once.out, new RegExp(`^${ks.url}\\s.*\\s0/3 0/s 0 B/s eta - paused\\s`, 'm'));
  assert.match(once.out, /^2 live keepstores$/m);
  for (const bad of [['--interval', '0'], ['--interval', 'soon'], ['--json']]) {
    const r = await fleet('--redis', redisServer.url, '--watch', ...bad);
    assert.equal(r.code, 2, bad.join(' '));
    assert.match(r.err, /--interval|--json/);
  }
  const noWatch = await fleet('--redis', redisServer.url, '--interval', '1');
  assert.equal(noWatch.code, 2);
  assert.match(noWatch.err, /--interval needs --watch/);
});
