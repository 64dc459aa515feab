import type { ResolvedVolume } from '../volume/volume-config.js';
import type { ParsedConfig } from './schema.js';

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
