import { z } from 'zod';
import { duration } from '../../schema/duration.js';
import { volumeBaseShape } from '../volume-base-config.js';

/** Region used with a custom endpoint when none is given (what S3-compatible servers expect). */
export const DEFAULT_ENDPOINT_REGION = 'us-east-1';

/**
 * One `volumes[]` entry with `"driver": "s3"`: a bucket in the layout of Arvados keepstore's S3
 * driver. Field names follow Arvados' DriverParameters in camelCase. Durations as everywhere in
 * the config ("1m", or seconds), stored as ms.
 */
export const s3VolumeConfig = z
  .strictObject({
    ...volumeBaseShape,
    driver: z.literal('s3'),
    bucket: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'must be an S3 bucket name'),
    /**
     * S3 API URL; empty = AWS (then `region` is required). Host and port only: credentials in
     * it (`user:secret@`) would show in device_id (/mounts, /status.json, logs), so they are refused.
     */
    endpoint: z
      .string()
      .default('')
      .refine(
        (s) => s === '' || /^https?:\/\/[^/\s@?#]+\/?$/.test(s),
        'must be empty (AWS) or an http(s)://host[:port] URL, without credentials (use accessKeyId and secretAccessKey)',
      ),
    /** Default: us-east-1 when `endpoint` is set. */
    region: z.string().default(''),
    /** Both empty: the SDK's default credential chain (env, profile, instance role...). */
    accessKeyId: z.string().default(''),
    secretAccessKey: z.string().default(''),
    /** http://endpoint/bucket/key instead of http://bucket.endpoint/key (local servers, MinIO). */
    usePathStyle: z.boolean().default(false),
    /** Blocks at HASH[0:N]/HASH; 0: at HASH. Must match what is already in the bucket. */
    prefixLength: z.number().int().min(0).max(32).default(0),
    /** Keys per ListObjectsV2 page (index, trash sweep). */
    indexPageSize: z.number().int().min(1).max(1000).default(1000),
    connectTimeout: duration.prefault('1m'),
    /** Longest wait for a response, and longest silence while a body streams. */
    readTimeout: duration.prefault('10m'),
    /** How long an S3 write may take to be seen by every reader (trash race rules). */
    raceWindow: duration.prefault('24h'),
    /** With blobTrashLifetime 0, delete blocks instead of refusing to trash them. */
    unsafeDelete: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (v.endpoint === '' && v.region === '') {
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'region is required when endpoint is empty (AWS)' });
    }
    if ((v.accessKeyId === '') !== (v.secretAccessKey === '')) {
      ctx.addIssue({ code: 'custom', path: ['secretAccessKey'], message: 'set both accessKeyId and secretAccessKey, or neither' });
    }
    for (const field of ['connectTimeout', 'readTimeout'] as const) {
      if (v[field] <= 0) ctx.addIssue({ code: 'custom', path: [field], message: 'must be more than 0' });
    }
  });

export type S3VolumeConfig = z.output<typeof s3VolumeConfig>;

/** Fills the region a custom endpoint gets by default; drops a trailing slash of the endpoint. */
export function resolveS3Config(v: S3VolumeConfig): S3VolumeConfig {
  const endpoint = v.endpoint.replace(/\/$/, '');
  return { ...v, endpoint, region: v.region !== '' ? v.region : DEFAULT_ENDPOINT_REGION };
}
