import type { KeepstoreConfig } from './config.js';

/** Where primary-side modules read the config in force (a SIGHUP reload replaces it). */
export interface ConfigSource {
  readonly currentConfig: KeepstoreConfig;
}
