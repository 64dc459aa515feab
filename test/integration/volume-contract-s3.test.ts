/**
 * The driver-neutral Volume contract (test/helpers/volume-contract.ts) run against the S3
 * driver on every S3 server of s3-server.ts: s3rver, moto_server (skipped with a message when
 * not installed), or the endpoint of KEEPSTORE_TEST_S3_ENDPOINT instead. A fresh bucket per
 * volume; corruption by overwriting the object directly.
 */
import { after, before, describe, test } from 'node:test';
import { S3Volume, type S3VolumeSpec } from '../../packages/server/src/volume/s3/s3-volume.ts';
import type { Volume } from '../../packages/server/src/volume/volume.ts';
import { runVolumeContract } from '../helpers/volume-contract.ts';
import { externalS3, motoInstalled, MOTO_MISSING, rawClient, s3Bucket, s3ServerKinds, type S3TestServer } from '../helpers/s3-server.ts';
import { putObject, s3Spec } from '../helpers/s3-volume-fixtures.ts';

for (const { kind, start } of s3ServerKinds()) {
  if (kind === 'moto' && !externalS3() && !motoInstalled()) {
    test(`Volume contract: s3 (${kind})`, (t) => t.skip(MOTO_MISSING));
    continue;
  }
  let server: S3TestServer;
  const cleanups: Array<() => Promise<void>> = [];
  const specs = new Map<Volume, S3VolumeSpec>();
  before(async () => {
    server = (await start())!;
  });
  after(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
    await server?.stop();
  });

  const specOf = (volume: Volume): S3VolumeSpec => {
    const spec = specs.get(volume);
    if (!spec) throw new Error('not an S3 volume of this harness');
    return spec;
  };
  const open = async (spec: S3VolumeSpec): Promise<Volume> => {
    const v = new S3Volume(spec);
    await v.init();
    specs.set(v, spec);
    return v;
  };

  describe(`on ${kind}`, () =>
    runVolumeContract('s3', {
      async create() {
        const bucket = await s3Bucket(server);
        cleanups.push(() => bucket.remove());
        // The contract judges the trash guard itself (a TTL of 0 leaves no race to suspect) and
        // expects lifetime 0 to delete at once, which an S3 volume does only with unsafeDelete.
        return open(s3Spec(server, bucket.name, { prefixLength: 3, blobSigningTTL: 0, unsafeDelete: true }));
      },
      readOnlyTwin: (volume) => open({ ...specOf(volume), readOnly: true }),
      async corrupt(volume, hash, bytes) {
        const client = rawClient(server);
        await putObject(client, specOf(volume).bucket, `${hash.slice(0, 3)}/${hash}`, bytes);
        client.destroy();
      },
      refusesContentMismatch: true,
    }));
}
