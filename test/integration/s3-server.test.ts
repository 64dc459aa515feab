/**
 * A real keepstore (the binary, two workers, Redis for the heartbeat) with one directory and one
 * S3 volume, on s3rver (or the KEEPSTORE_TEST_S3_ENDPOINT store): a bucket filled by another
 * writer is served over HTTP, /mounts, /status.json, metrics and the heartbeat show the S3 mount,
 * corrupt objects are never served whole and a PUT repairs them, a pull lands on the S3 volume,
 * and the S3 server going away mid-run costs only the requests that need it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.ts';
import { parsePrometheus, sumOf } from '../helpers/http-client.ts';
import { bearer, makeBlock, md5, request, sign, type Block } from '../helpers/keep-http.ts';
import {
  adminHeaders,
  MGMT_TOKEN,
  SIGNING_KEY,
  startKeepstore,
  volumeUuid,
  waitFor,
  type Keepstore,
} from '../helpers/keepstore-process.ts';
import { getStatus, runPullList } from '../helpers/pull-helpers.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { listKeys, s3Bucket, s3ServerKinds, type S3TestServer } from '../helpers/s3-server.ts';
import { putObject } from '../helpers/s3-volume-fixtures.ts';
import { placeBlock } from '../helpers/volume-fixtures.ts';

const USER_TOKEN = 'user-token';
const DIR_UUID = volumeUuid(0);
const S3_UUID = volumeUuid(1);
const PREFIX = 'keepstore-s3-test:';

let dir: string;
let s3: S3TestServer;
let bucket: Awaited<ReturnType<typeof s3Bucket>>;
let redis: RedisServer;
let ks: Keepstore;
let peer: FakePeer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keepstore-s3-server-'));
  [s3, redis, peer] = await Promise.all([
    s3ServerKinds()[0]!
      .start()
      .then((s) => s!),
    startRedisServer(),
    startFakePeer({ signingKey: SIGNING_KEY }),
  ]);
  bucket = await s3Bucket(s3);
  const volumes = [
    { uuid: DIR_UUID, root: path.join(dir, 'vol0') },
    {
      uuid: S3_UUID,
      driver: 's3',
      bucket: bucket.name,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      usePathStyle: s3.usePathStyle,
      prefixLength: 3,
      connectTimeout: '2s',
      readTimeout: '10s',
    },
  ];
  ks = await startKeepstore({
    dir,
    workers: 2,
    config: {
      uuid: 'zzzzz-bi6l4-0000000000000s3',
      volumes,
      redis: { url: redis.url, keyPrefix: PREFIX, heartbeatInterval: '1s' },
      pullIdleTimeout: '2s',
      pullConnectTimeout: '2s',
    },
  });
});
after(async () => {
  await ks?.destroy();
  await bucket?.remove().catch(() => undefined);
  await Promise.all([s3?.stop(), redis?.stop(), peer?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const key = (hash: string): string => `${hash.slice(0, 3)}/${hash}`;
const get = (b: Block, method = 'GET') =>
  request(`${ks.url}/${sign(b.locator, USER_TOKEN)}`, { method, headers: bearer(USER_TOKEN), timeoutMs: 30_000 });

/** A block written straight into the bucket, as the Go keepstore lays it out. */
async function foreignBlock(size: number): Promise<Block> {
  const b = makeBlock(size);
  await putObject(bucket.client, bucket.name, key(b.hash), b.data);
  await putObject(bucket.client, bucket.name, `recent/${key(b.hash)}`);
  return b;
}

test('GET, HEAD and /index serve blocks another writer put in the bucket (index prefixes 1 to 32 characters)', async () => {
  const b = await foreignBlock(3000);
  const r = await get(b);
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(b.data));
  assert.equal((await get(b, 'HEAD')).status, 200);
  for (let len = 1; len <= 32; len++) {
    const idx = await request(`${ks.url}/index/${b.hash.slice(0, len)}`, { headers: adminHeaders });
    assert.equal(idx.status, 200);
    assert.match(idx.body.toString(), new RegExp(`^${b.hash}\\+3000 \\d+000000000$`, 'm'), `prefix of ${len}`);
  }
  const mountIdx = await request(`${ks.url}/mounts/${S3_UUID}/blocks?prefix=${b.hash.slice(0, 4)}`, { headers: adminHeaders });
  assert.match(mountIdx.body.toString(), new RegExp(`^${b.hash}\\+3000 `, 'm'));
});

test('/mounts, /status.json, per-mount metrics and the heartbeat show the S3 volume; its free space is unknown', async () => {
  const mounts = JSON.parse((await request(`${ks.url}/mounts`, { headers: adminHeaders })).body.toString()) as Array<
    Record<string, unknown>
  >;
  const m = mounts.find((x) => x['uuid'] === S3_UUID);
  assert.equal(m?.['device_id'], `s3://${s3.endpoint}/${bucket.name}`);
  assert.equal(m?.['allow_write'], true);
  assert.ok(mounts.some((x) => x['uuid'] === DIR_UUID));
  const status = await getStatus(ks);
  assert.ok(status.workers.every((w) => w.state === 'listening' || w.pid !== null));
  assert.ok(JSON.stringify(status).includes(S3_UUID), '/status.json names the S3 mount');
  const statusVolumes = (status as unknown as { volumes: Array<{ uuid: string; bytes_free: number | null }> }).volumes;
  assert.equal(statusVolumes.find((v) => v.uuid === S3_UUID)?.bytes_free, null, 'unknown, not a made-up number');
  assert.equal(typeof statusVolumes.find((v) => v.uuid === DIR_UUID)?.bytes_free, 'number');

  await get(await foreignBlock(100));
  const metrics = await waitFor(
    async () => {
      const text = (await request(`${ks.url}/metrics`, { headers: bearer(MGMT_TOKEN) })).body.toString();
      const samples = parsePrometheus(text);
      return sumOf(samples, 'keepstore_volume_operations_total', { mount: S3_UUID }) > 0 ? samples : undefined;
    },
    15_000,
    'operations on the S3 mount in /metrics',
  );
  assert.ok(sumOf(metrics, 'keepstore_volume_operations_total', { mount: DIR_UUID }) >= 0);
  const freeSeries = metrics.filter((x) => x.name === 'keepstore_volume_free_bytes').map((x) => x.labels['mount']);
  assert.deepEqual(freeSeries, [DIR_UUID], 'no free-bytes series for the S3 mount (unknown)');

  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const record = await waitFor(
      async () => {
        const keys = await client.keys(`${PREFIX}heartbeat:*`);
        const text = keys[0] ? await client.get(keys[0]) : null;
        return text ? (JSON.parse(text) as { volumes: Array<{ uuid: string; freeBytes: number | null }> }) : undefined;
      },
      15_000,
      'a heartbeat record',
    );
    const vols = new Map(record.volumes.map((v) => [v.uuid, v.freeBytes]));
    assert.equal(vols.get(S3_UUID), null, 'S3 free space is unknown (null), not a made-up number');
    assert.equal(typeof vols.get(DIR_UUID), 'number');
  } finally {
    client.disconnect();
  }
});

test('a corrupt object is never served as a complete block, and a PUT of the right bytes repairs it', async () => {
  for (const size of [5000, 3 * 1024 * 1024]) {
    const b = makeBlock(size);
    const bad = Buffer.from(b.data);
    bad[size - 1] = bad[size - 1]! ^ 0xff;
    await putObject(bucket.client, bucket.name, key(b.hash), bad);
    await putObject(bucket.client, bucket.name, `recent/${key(b.hash)}`);
    const r = await get(b);
    assert.ok(r.status !== 200 || !r.complete, `${size} bytes: a 502 or a cut-off body, got ${r.status} complete=${r.complete}`);
    const put = await request(`${ks.url}/${b.hash}`, { method: 'PUT', body: b.data, headers: bearer(USER_TOKEN), timeoutMs: 30_000 });
    assert.equal(put.status, 200, put.body.toString());
    const fixed = await get(b);
    assert.equal(fixed.status, 200);
    assert.equal(md5(fixed.body), b.hash);
    const stored = await bucket.client.send(new GetObjectCommand({ Bucket: bucket.name, Key: key(b.hash) }));
    assert.equal(md5(Buffer.from(await stored.Body!.transformToByteArray())), b.hash, 'repaired in place in the bucket');
  }
});

test('a pull with mount_uuid lands on the S3 volume, in the reference layout with its marker', async () => {
  const b = makeBlock(40_000);
  peer.serve(b.hash, b.data);
  const q = await runPullList(ks, [{ locator: b.locator, servers: [peer.url], mount_uuid: S3_UUID }]);
  assert.equal(q.failed, 0);
  const keys = await listKeys(bucket.client, bucket.name);
  assert.ok(keys.includes(key(b.hash)) && keys.includes(`recent/${key(b.hash)}`), `bucket holds ${keys.join(', ')}`);
  assert.equal((await get(b)).status, 200);
});

test('S3 going away mid-run: 503 for what needs it, the directory volume keeps serving, no worker dies; back: served again', async (t) => {
  if (!s3.goAway || !s3.comeBack) return t.skip('this S3 server cannot be stopped and restarted with its data');
  const onS3 = await foreignBlock(2000);
  const onDir = makeBlock(2000);
  await placeBlock(path.join(dir, 'vol0'), onDir.hash, onDir.data);
  const pidsBefore = (await getStatus(ks)).workers.map((w) => w.pid);
  await s3.goAway();
  try {
    for (let i = 0; i < 4; i++) {
      assert.equal((await get(onS3)).status, 503, 'the block may be on the unreachable S3 volume');
      assert.equal((await get(onDir)).status, 200, 'the directory volume is unaffected');
    }
    const fresh = makeBlock(1000);
    const stored = await request(`${ks.url}/${fresh.hash}`, {
      method: 'PUT',
      body: fresh.data,
      headers: bearer(USER_TOKEN),
      timeoutMs: 30_000,
    });
    assert.equal(stored.status, 200, `PUT during the outage goes to the directory volume: ${stored.body.toString()}`);
  } finally {
    await s3.comeBack();
  }
  const r = await waitFor(async () => ((await get(onS3)).status === 200 ? true : undefined), 20_000, 'S3 blocks served again');
  assert.ok(r);
  assert.deepEqual(
    (await getStatus(ks)).workers.map((w) => w.pid),
    pidsBefore,
    'no worker was restarted',
  );
});
