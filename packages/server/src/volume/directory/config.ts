import path from 'node:path';
import { z } from 'zod';
import { volumeBaseShape, type VolumeIdentity } from '../volume-base-config.js';

/** One `volumes[]` entry with `"driver": "directory"` (the default when `driver` is absent). */
export const directoryVolumeConfig = z.strictObject({
  ...volumeBaseShape,
  driver: z.literal('directory'),
  /** Directory that holds the `HASH[0:3]/` subdirectories; relative to the config file. */
  root: z.string().min(1),
});

export type DirectoryVolumeConfig = z.output<typeof directoryVolumeConfig>;

/** What a DirectoryVolume is built from: the resolved config entry (absolute root). */
export interface DirectoryVolumeSpec extends VolumeIdentity {
  root: string;
}

/** Relative roots resolve against the config file's directory. */
export function resolveDirectoryConfig(v: DirectoryVolumeConfig, baseDir: string): DirectoryVolumeConfig {
  return { ...v, root: path.resolve(baseDir, v.root) };
}
