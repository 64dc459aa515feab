/**
 * S3 volumes for tests: an S3Volume on a fresh bucket of a test S3 server (s3-server.ts), and
 * a way to write blocks into the bucket as another writer (the Go keepstore) would.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3Volume, type S3VolumeSpec } from '../../packages/server/src/volume/s3/s3-volume.ts';
import type { S3Target } from './s3-server.ts';

export const S3_VOLUME_UUID = 'zzzzz-nyw5e-5300000000000s3';

/** The spec of an S3 volume on `bucket` at `target`, with test-friendly trash timings. */
export function s3Spec(target: S3Target, bucket: string, over: Partial<S3VolumeSpec> = {}): S3VolumeSpec {
  return {
    uuid: S3_VOLUME_UUID,
    readOnly: false,
    replication: 1,
    storageClasses: ['default'],
    priority: 0,
    bucket,
    endpoint: target.endpoint,
    region: target.region,
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    usePathStyle: target.usePathStyle,
    prefixLength: 0,
    indexPageSize: 1000,
    connectTimeout: 5_000,
    readTimeout: 30_000,
    raceWindow: 0,
    unsafeDelete: false,
    blobSigningTTL: 3_600_000,
    blobTrashLifetime: 3_600_000,
    ...over,
  };
}

export async function makeS3Volume(target: S3Target, bucket: string, over: Partial<S3VolumeSpec> = {}): Promise<S3Volume> {
  const v = new S3Volume(s3Spec(target, bucket, over));
  await v.init();
  return v;
}

/** Writes an object directly (as the Go keepstore or any other writer). */
export async function putObject(client: S3Client, bucket: string, key: string, body: Buffer | string = ''): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body }));
}
