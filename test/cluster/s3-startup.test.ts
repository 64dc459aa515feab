/**
 * Starting the real binary with an S3 volume: a bucket S3 refuses (missing) is a start-up
 * error naming the volume; an S3 that is down at start is not (the server starts, answers 503
 * for what needs the bucket, and serves it once S3 is back).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bearer, makeBlock, request, sign } from '../helpers/keep-http.ts';
import { startKeepstore, volumeUuid, waitFor, type Keepstore } from '../helpers/keepstore-process.ts';
import { s3Bucket, startS3rver, type S3TestServer } from '../helpers/s3-server.ts';
import { putObject } from '../helpers/s3-volume-fixtures.ts';
import { spawnBin } from '../helpers/spawn-bin.ts';

let dir: string;
let s3: S3TestServer;
let ks: Keepstore | null = null;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'keepstore-s3-start-'));
  s3 = await startS3rver();
});
after(async () => {
  await ks?.destroy();
  await s3?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function s3Volume(bucket: string): Record<string, unknown> {
  return {
    uuid: volumeUuid(5),
    driver: 's3',
    bucket,
    endpoint: s3.endpoint,
    usePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    connectTimeout: '2s',
    readTimeout: '5s',
  };
}

test('a missing bucket stops the server at start with a message naming the volume and the bucket', async () => {
  const file = path.join(dir, 'missing-bucket.json');
  await fs.writeFile(file, JSON.stringify({ workers: 1, volumes: [s3Volume('no-such-bucket')] }));
  const bin = spawnBin(['--config', file]);
  const { code } = await bin.exited;
  assert.notEqual(code, 0);
  assert.match(
    bin.stderr(),
    new RegExp(`volume ${volumeUuid(5)}: bucket no-such-bucket at s3://${s3.endpoint}/no-such-bucket is not usable`),
  );
});

test('S3 down at start: the server starts, answers 503 for the S3 volume, and serves it once S3 is back', async () => {
  const bucket = await s3Bucket(s3);
  const b = makeBlock(1000);
  await putObject(bucket.client, bucket.name, b.hash, b.data);
  await s3.goAway!();
  try {
    ks = await startKeepstore({
      dir: path.join(dir, 'ks'),
      workers: 2,
      config: { volumes: [{ uuid: volumeUuid(0), root: path.join(dir, 'ks', 'vol0') }, s3Volume(bucket.name)] },
    });
    const url = `${ks.url}/${sign(b.locator, 'user')}`;
    assert.equal((await request(url, { headers: bearer('user') })).status, 503);
  } finally {
    await s3.comeBack!();
  }
  const back = await waitFor(
    async () => {
      const r = await request(`${ks!.url}/${sign(b.locator, 'user')}`, { headers: bearer('user') });
      return r.status === 200 ? r : undefined;
    },
    20_000,
    'the block served once S3 is back',
  );
  assert.ok(back.body.equals(b.data));
  await bucket.remove();
});
