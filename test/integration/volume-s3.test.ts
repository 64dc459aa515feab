/**
 * The S3 driver on a real S3 API server (s3rver always, moto_server when installed, or the
 * endpoint of KEEPSTORE_TEST_S3_ENDPOINT): bucket layout, foreign buckets, index prefixes,
 * the MD5 gate on writes, corrupt objects, trash with its race rules, start-up errors, outages.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { HashMismatchError, NotFoundError, VolumeUnavailableError, WriteFailedError } from '../../packages/server/src/errors.ts';
import type { S3Volume } from '../../packages/server/src/volume/s3/s3-volume.ts';
import type { Volume } from '../../packages/server/src/volume/volume.ts';
import { listKeys, MOTO_MISSING, s3Bucket, s3ServerKinds, type S3TestServer } from '../helpers/s3-server.ts';
import { freePort } from '../helpers/keepstore-process.ts';
import { makeS3Volume, putObject } from '../helpers/s3-volume-fixtures.ts';
import { randomBlock, collect } from '../helpers/volume-fixtures.ts';

const MiB = 1024 * 1024;

async function put(volume: Volume, hash: string, data: Buffer): Promise<void> {
  const w = await volume.beginWrite(hash);
  try {
    await pipeline(Readable.from([data]), w.stream);
    await w.commit();
  } finally {
    await w.discard();
  }
}

async function readAll(volume: Volume, hash: string): Promise<Buffer> {
  const { stream } = await volume.openRead(hash);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function lastModifiedNs(client: S3Client, bucket: string, key: string): Promise<bigint> {
  const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return BigInt(Math.floor(r.LastModified!.getTime() / 1000)) * 1_000_000_000n;
}

const acceptAll = (): null => null;

for (const { kind, start } of s3ServerKinds()) {
  describe(`S3 volume on ${kind}`, () => {
    let server: S3TestServer | null = null;
    const buckets: Array<{ remove(): Promise<void> }> = [];
    before(async () => {
      server = await start();
    });
    after(async () => {
      for (const b of buckets) await b.remove().catch(() => undefined);
      await server?.stop();
    });

    /** A fresh bucket and a volume on it; skips when the server is not installed. */
    async function fresh(t: { skip(msg: string): void }, over: Parameters<typeof makeS3Volume>[2] = {}) {
      if (!server) {
        t.skip(MOTO_MISSING);
        return null;
      }
      const bucket = await s3Bucket(server);
      buckets.push(bucket);
      const volume = await makeS3Volume(server, bucket.name, over);
      return { bucket: bucket.name, client: bucket.client, volume };
    }

    for (const prefixLength of [0, 3]) {
      test(`prefixLength ${prefixLength}: a PUT stores the block and an empty recent/ marker where Arvados puts them`, async (t) => {
        const f = await fresh(t, { prefixLength });
        if (!f) return;
        const { data, hash } = randomBlock(3000);
        await put(f.volume, hash, data);
        const key = prefixLength === 0 ? hash : `${hash.slice(0, 3)}/${hash}`;
        assert.deepEqual(await listKeys(f.client, f.bucket), [key, `recent/${key}`]);
        const marker = await f.client.send(new HeadObjectCommand({ Bucket: f.bucket, Key: `recent/${key}` }));
        assert.equal(marker.ContentLength, 0);
        const stat = await f.volume.stat(hash);
        assert.deepEqual(stat, { size: 3000, mtimeNs: await lastModifiedNs(f.client, f.bucket, `recent/${key}`) });
        assert.deepEqual(await readAll(f.volume, hash), data);
      });
    }

    test('serves a bucket filled by another writer in the reference layout; mtime is the marker time, else the block time', async (t) => {
      const f = await fresh(t, { prefixLength: 3 });
      if (!f) return;
      const a = randomBlock(100);
      const b = randomBlock(200);
      await putObject(f.client, f.bucket, `${a.hash.slice(0, 3)}/${a.hash}`, a.data);
      await putObject(f.client, f.bucket, `recent/${a.hash.slice(0, 3)}/${a.hash}`);
      await putObject(f.client, f.bucket, `${b.hash.slice(0, 3)}/${b.hash}`, b.data); // no marker
      await putObject(f.client, f.bucket, `${a.hash.slice(0, 3)}/not-a-block`, 'x'); // a stray
      assert.deepEqual(await readAll(f.volume, a.hash), a.data);
      assert.deepEqual(await readAll(f.volume, b.hash), b.data);
      const index = await collect(f.volume.index(''));
      assert.deepEqual(
        index.map((e) => [e.hash, e.size, e.mtimeNs]).sort(),
        [
          [a.hash, 100, await lastModifiedNs(f.client, f.bucket, `recent/${a.hash.slice(0, 3)}/${a.hash}`)],
          [b.hash, 200, await lastModifiedNs(f.client, f.bucket, `${b.hash.slice(0, 3)}/${b.hash}`)],
        ].sort(),
      );
      assert.equal((await f.volume.stat(a.hash))?.mtimeNs, index.find((e) => e.hash === a.hash)?.mtimeNs, 'stat and index agree');
    });

    for (const prefixLength of [0, 3]) {
      test(`prefixLength ${prefixLength}: /index prefixes of 1 to 32 characters list exactly the matching blocks`, async (t) => {
        const f = await fresh(t, { prefixLength, indexPageSize: 3 });
        if (!f) return;
        const blocks = Array.from({ length: 8 }, (_, i) => randomBlock(10 + i));
        for (const b of blocks) await put(f.volume, b.hash, b.data);
        const all = await collect(f.volume.index(''));
        assert.deepEqual(all.map((e) => e.hash).sort(), blocks.map((b) => b.hash).sort(), 'pages of 3 keys, all listed');
        for (const b of blocks.slice(0, 3)) {
          for (let len = 1; len <= 32; len++) {
            const prefix = b.hash.slice(0, len);
            const got = (await collect(f.volume.index(prefix))).map((e) => e.hash).sort();
            const want = blocks
              .map((x) => x.hash)
              .filter((h) => h.startsWith(prefix))
              .sort();
            assert.deepEqual(got, want, `prefix ${prefix}`);
          }
        }
      });
    }

    test('a write whose bytes do not hash to the name never becomes visible (small block and multipart)', async (t) => {
      const f = await fresh(t);
      if (!f) return;
      for (const size of [1000, 12 * MiB]) {
        const { data } = randomBlock(size);
        const claimed = randomBlock(16).hash;
        const w = await f.volume.beginWrite(claimed);
        await pipeline(Readable.from([data]), w.stream);
        await assert.rejects(w.commit(), HashMismatchError);
        await w.discard();
        assert.equal(await f.volume.stat(claimed), null, `${size} bytes: nothing under the key`);
      }
      assert.deepEqual(await listKeys(f.client, f.bucket), []);
      if (server?.kind !== 's3rver') {
        // s3rver does not implement ListMultipartUploads.
        const uploads = await f.client.send(new ListMultipartUploadsCommand({ Bucket: f.bucket }));
        assert.equal(uploads.Uploads?.length ?? 0, 0, 'the multipart upload was aborted');
      }
    });

    test('a 12 MiB block goes up in parts and reads back whole', async (t) => {
      const f = await fresh(t);
      if (!f) return;
      const { data, hash } = randomBlock(12 * MiB);
      await put(f.volume, hash, data);
      assert.ok((await readAll(f.volume, hash)).equals(data));
      assert.equal(await f.volume.verifyStored(hash), 'intact');
    });

    test('a corrupt object is reported corrupt, and a new write of the block replaces it', async (t) => {
      const f = await fresh(t);
      if (!f) return;
      const { data, hash } = randomBlock(5000);
      await putObject(f.client, f.bucket, hash, Buffer.concat([data.subarray(0, 4999), Buffer.from('!')]));
      assert.equal(await f.volume.verifyStored(hash), 'corrupt');
      await put(f.volume, hash, data);
      assert.equal(await f.volume.verifyStored(hash), 'intact');
      assert.equal(await f.volume.verifyStored(randomBlock(1).hash), 'missing');
    });

    test('trash copies to trash/ then deletes the block; untrash copies it back with a new marker', async (t) => {
      const f = await fresh(t, { blobSigningTTL: 0 });
      if (!f) return;
      const { data, hash } = randomBlock(700);
      await put(f.volume, hash, data);
      const now = Math.floor(Date.now() / 1000);
      assert.equal(await f.volume.trashIf(hash, acceptAll, 3600, now), null);
      assert.deepEqual(await listKeys(f.client, f.bucket), [`recent/${hash}`, `trash/${hash}`]);
      assert.equal(await f.volume.stat(hash), null);
      await assert.rejects(f.volume.openRead(hash), NotFoundError);
      await f.volume.untrash(hash);
      assert.deepEqual(await listKeys(f.client, f.bucket), [hash, `recent/${hash}`]);
      assert.deepEqual(await readAll(f.volume, hash), data);
      await assert.rejects(f.volume.untrash(hash), NotFoundError, 'no trash copy left');
    });

    test('the guard decides on the marker time; a refusal leaves the block alone', async (t) => {
      const f = await fresh(t);
      if (!f) return;
      const { data, hash } = randomBlock(10);
      await put(f.volume, hash, data);
      const stat = await f.volume.stat(hash);
      const seen: bigint[] = [];
      const reason = await f.volume.trashIf(
        hash,
        (s) => {
          seen.push(s.mtimeNs);
          return 'too young';
        },
        3600,
        Math.floor(Date.now() / 1000),
      );
      assert.equal(reason, 'too young');
      assert.deepEqual(seen, [stat!.mtimeNs]);
      assert.deepEqual(await listKeys(f.client, f.bucket), [hash, `recent/${hash}`]);
    });

    test('trash is refused with blobTrashLifetime 0 unless unsafeDelete, which deletes outright', async (t) => {
      const f = await fresh(t, { blobTrashLifetime: 0 });
      if (!f || !server) return;
      const { data, hash } = randomBlock(10);
      await put(f.volume, hash, data);
      const now = Math.floor(Date.now() / 1000);
      assert.match((await f.volume.trashIf(hash, acceptAll, 0, now)) ?? '', /unsafeDelete/);
      assert.ok(await f.volume.stat(hash));
      const unsafe = await makeS3Volume(server, f.bucket, { blobTrashLifetime: 0, unsafeDelete: true });
      assert.equal(await unsafe.trashIf(hash, acceptAll, 0, now), null);
      assert.equal(await unsafe.stat(hash), null);
      assert.ok(!(await listKeys(f.client, f.bucket)).includes(`trash/${hash}`), 'no trash copy');
    });

    test('emptyTrash deletes expired trash and its marker, keeps trash within its lifetime', async (t) => {
      const f = await fresh(t, { blobSigningTTL: 0, blobTrashLifetime: 60_000 });
      if (!f) return;
      const { data, hash } = randomBlock(10);
      await put(f.volume, hash, data);
      const now = Math.floor(Date.now() / 1000);
      await f.volume.trashIf(hash, acceptAll, 60, now);
      assert.deepEqual(await collect(f.volume.emptyTrash(now + 30)), [], 'lifetime not over');
      const swept = await collect(f.volume.emptyTrash(now + 120));
      assert.deepEqual(
        swept.map((e) => e.hash),
        [hash],
      );
      assert.deepEqual(await listKeys(f.client, f.bucket), []);
    });

    test('race: a block trashed less than blobSigningTTL after its last touch comes back (read, touch, sweep)', async (t) => {
      const f = await fresh(t, { blobSigningTTL: 3_600_000, blobTrashLifetime: 60_000 });
      if (!f) return;
      const blocks = [randomBlock(11), randomBlock(12), randomBlock(13)];
      for (const b of blocks) {
        await put(f.volume, b.hash, b.data);
        // Another server trashed it meanwhile (its guard saw an older mtime): copy + delete.
        assert.equal(await f.volume.trashIf(b.hash, acceptAll, 60, Math.floor(Date.now() / 1000)), null);
      }
      const [viaStat, viaTouch, viaSweep] = blocks as [(typeof blocks)[0], (typeof blocks)[0], (typeof blocks)[0]];
      assert.equal((await f.volume.stat(viaStat.hash))?.size, 11, 'stat restored it');
      assert.equal((await f.volume.touch(viaTouch.hash)).size, 12, 'touch restored it');
      // Lifetime over: the leftover trash copies of the two blocks back in place go; the third
      // block's copy is copied back instead of deleted.
      const swept = await collect(f.volume.emptyTrash(Math.floor(Date.now() / 1000) + 120));
      assert.deepEqual(swept.map((e) => e.hash).sort(), [viaStat.hash, viaTouch.hash].sort());
      assert.deepEqual(await readAll(f.volume, viaSweep.hash), viaSweep.data, 'the sweep restored it');
      for (const b of blocks) assert.deepEqual(await readAll(f.volume, b.hash), b.data);
    });

    test('raceWindow: a block is not trashed again while its old trash copy may be being deleted', async (t) => {
      const f = await fresh(t, { blobSigningTTL: 0, blobTrashLifetime: 60_000, raceWindow: 120_000 });
      if (!f) return;
      const { data, hash } = randomBlock(10);
      await put(f.volume, hash, data);
      const now = Math.floor(Date.now() / 1000);
      assert.equal(await f.volume.trashIf(hash, acceptAll, 60, now), null);
      await put(f.volume, hash, data);
      assert.match((await f.volume.trashIf(hash, acceptAll, 60, now)) ?? '', /raceWindow/);
      assert.ok(await f.volume.stat(hash), 'still stored');
    });

    test('init fails naming the volume for a missing bucket and for wrong credentials', async (t) => {
      if (!server) return t.skip(MOTO_MISSING);
      await assert.rejects(makeS3Volume(server, 'no-such-bucket-here'), /volume zzzzz-nyw5e-5300000000000s3: bucket no-such-bucket-here/);
      const f = await fresh(t);
      if (!f) return;
      if (server.kind === 'moto') return; // moto accepts any credentials
      // An unknown key id (s3rver checks only that); the secret never appears in the message.
      await assert.rejects(
        makeS3Volume(server, f.bucket, { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'secret-do-not-print' }),
        (err: Error) =>
          err.message.startsWith(`volume zzzzz-nyw5e-5300000000000s3: bucket ${f.bucket}`) && !err.message.includes('secret-do-not-print'),
      );
    });

    test('S3 away: each request fails with 503 VolumeUnavailableError; back: it serves again', async (t) => {
      if (!server?.goAway || !server.comeBack) return t.skip('this server cannot be stopped and restarted with its data');
      const f = await fresh(t, { connectTimeout: 2_000, readTimeout: 5_000 });
      if (!f) return;
      const { data, hash } = randomBlock(10);
      await put(f.volume, hash, data);
      await server.goAway();
      try {
        await assert.rejects(f.volume.stat(hash), VolumeUnavailableError);
        await assert.rejects(
          f.volume.openRead(hash),
          (err: Error) => err instanceof VolumeUnavailableError && err.message.includes('zzzzz-nyw5e-5300000000000s3'),
        );
        await assert.rejects(collect(f.volume.index('')), VolumeUnavailableError);
        // After those failures a write checks S3 before it takes a byte: refused, 503.
        await assert.rejects(
          f.volume.beginWrite(randomBlock(5).hash),
          (err: Error) => err instanceof WriteFailedError && /S3 unavailable/.test(err.message),
        );
      } finally {
        await server.comeBack();
      }
      assert.deepEqual(await readAll(f.volume, hash), data);
      const again = randomBlock(6);
      await put(f.volume, again.hash, again.data);
      assert.ok(await f.volume.stat(again.hash), 'writes work again');
    });

    test('S3 gone in the middle of a GET body: the stream fails with 503 VolumeUnavailableError', async (t) => {
      if (!server?.goAway || !server.comeBack) return t.skip('this server cannot be stopped and restarted with its data');
      const f = await fresh(t);
      if (!f) return;
      const { data, hash } = randomBlock(48 * MiB);
      await putObject(f.client, f.bucket, hash, data);
      const { stream } = await f.volume.openRead(hash);
      const it = stream[Symbol.asyncIterator]();
      await it.next(); // the body is flowing
      await server.goAway();
      try {
        await assert.rejects(
          (async () => {
            for (let r = await it.next(); !r.done; r = await it.next());
          })(),
          VolumeUnavailableError,
        );
      } finally {
        await server.comeBack();
      }
    });

    test('init does not fail for an S3 that cannot be reached (503 per request instead)', async (t) => {
      if (!server) return t.skip(MOTO_MISSING);
      const closed = `http://127.0.0.1:${await freePort()}`;
      const v = await makeS3Volume({ ...server, endpoint: closed }, 'keep', { connectTimeout: 1_000 });
      await assert.rejects(v.stat(randomBlock(1).hash), VolumeUnavailableError);
    });

    test('availableBytes is unknown (null) and deviceId is s3://ENDPOINT/BUCKET', async (t) => {
      const f = await fresh(t);
      if (!f || !server) return;
      assert.equal(await f.volume.availableBytes(), null);
      assert.equal(f.volume.deviceId, `s3://${server.endpoint}/${f.bucket}`);
      assert.equal((f.volume as S3Volume).driver, 's3');
    });
  });
}
