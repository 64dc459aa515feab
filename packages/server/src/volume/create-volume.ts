import { DirectoryVolume } from './directory/directory-volume.js';
import { S3Volume } from './s3/s3-volume.js';
import type { ResolvedVolume, VolumeDriverName } from './volume-config.js';
import type { Volume } from './volume.js';

type Constructors = { [D in VolumeDriverName]: (spec: Extract<ResolvedVolume, { driver: D }>) => Volume };

/** The config's `driver` -> the constructor of that driver's Volume (one row per driver). */
const constructors: Constructors = {
  directory: (spec) => new DirectoryVolume(spec),
  s3: (spec) => new S3Volume(spec),
};

/** Builds the volume a resolved `volumes[]` entry describes (no I/O: call init() next). */
export function createVolume(spec: ResolvedVolume): Volume {
  return (constructors[spec.driver] as (spec: ResolvedVolume) => Volume)(spec);
}

const built = new WeakMap<readonly ResolvedVolume[], readonly Volume[]>();

/**
 * The volumes of one configuration, built once per config (the primary asks for them at every
 * heartbeat, scrape and free-space refresh; a SIGHUP reload brings a new config, hence new ones).
 */
export function volumesOf(specs: readonly ResolvedVolume[]): readonly Volume[] {
  let volumes = built.get(specs);
  if (!volumes) {
    volumes = specs.map(createVolume);
    built.set(specs, volumes);
  }
  return volumes;
}
