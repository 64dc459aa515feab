import { z } from 'zod';
import { directoryVolumeConfig, resolveDirectoryConfig } from './directory/config.js';
import { resolveS3Config, s3VolumeConfig } from './s3/config.js';

/**
 * The `volumes[]` entry: one schema per driver, chosen by `driver` (a discriminated union, so
 * an error names the fields of the driver given). A driver adds its schema here and its
 * constructor in create-volume.ts. `driver` defaults to "directory".
 */
export const volumeConfigSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !('driver' in v) ? { ...v, driver: 'directory' } : v),
  z.discriminatedUnion('driver', [directoryVolumeConfig, s3VolumeConfig]),
);

export type VolumeConfig = z.output<typeof volumeConfigSchema>;
export type VolumeDriverName = VolumeConfig['driver'];

/**
 * A `volumes[]` entry as the rest of the server sees it: its driver's config (paths resolved)
 * plus `priority`, the highest priority among its storage classes (rendezvous order puts
 * higher first), and the cluster's trash timings (ms), which a driver whose trash keeps no
 * deadline of its own needs (S3: a trash copy's deadline is its time + blobTrashLifetime).
 */
export type ResolvedVolume = VolumeConfig & { priority: number; blobSigningTTL: number; blobTrashLifetime: number };

type Resolvers = {
  [D in VolumeDriverName]: (v: Extract<VolumeConfig, { driver: D }>, baseDir: string) => Extract<VolumeConfig, { driver: D }>;
};

/** Per driver: make a parsed entry independent of the config file's location (relative paths). */
const resolvers: Resolvers = {
  directory: resolveDirectoryConfig,
  s3: resolveS3Config,
};

export function resolveVolumeConfig(v: VolumeConfig, baseDir: string): VolumeConfig {
  return (resolvers[v.driver] as (v: VolumeConfig, baseDir: string) => VolumeConfig)(v, baseDir);
}
