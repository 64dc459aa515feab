import { z } from 'zod';

/** Arvados object uuid: cluster id, type infix, 15 characters. */
export const UUID_RE = /^[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{15}$/;

/** Fields every `volumes[]` entry has, whatever its driver (spread into each driver's schema). */
export const volumeBaseShape = {
  uuid: z.string().regex(UUID_RE, 'must look like "zzzzz-nyw5e-000000000000000"'),
  readOnly: z.boolean().default(false),
  replication: z.number().int().min(1).default(1),
  storageClasses: z.array(z.string().min(1)).min(1).default(['default']),
};

/** The driver-neutral part of a resolved volume entry (what every Volume reports about itself). */
export interface VolumeIdentity {
  uuid: string;
  readOnly: boolean;
  replication: number;
  storageClasses: readonly string[];
  /** Highest priority of the volume's storage classes (0 by default): rendezvous order key. */
  priority: number;
}
