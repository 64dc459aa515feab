import type { VolumeConfig } from '../volume/volume-config.js';
import type { ParsedConfig } from './schema.js';

/**
 * A `volumes[]` entry as the rest of the server sees it: its driver's config (paths resolved)
 * plus `priority`, the highest priority among its storage classes (rendezvous order puts
 * higher first), and the cluster's trash timings (ms), which a driver whose trash keeps no
 * deadline of its own needs (S3: a trash copy's deadline is its time + blobTrashLifetime).
 */
export type ResolvedVolume = VolumeConfig & { priority: number; blobSigningTTL: number; blobTrashLifetime: number };

/**
 * The validated, resolved and frozen configuration. Durations are milliseconds; the signing
 * key is read from its file; volume paths are absolute. It is plain JSON so the primary can
 * hand it to workers over IPC.
 */
export interface KeepstoreConfig extends Omit<ParsedConfig, 'volumes' | 'blobSigningKeyFile' | 'publicUrl'> {
  publicUrl: string;
  blobSigningKey: string;
  volumes: ResolvedVolume[];
  /** Where it was loaded from (null: built-in defaults), for SIGHUP reloads and logs. */
  source: string | null;
}

export function listenHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(listen.slice(i + 1)) };
}
