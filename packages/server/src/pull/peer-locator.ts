import { signLocator } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';

/**
 * The token a pull signs with when the config has no system root token. Peers in one cluster
 * share the signing key, and a signature needs only key + token, so any token of our own
 * will do; the peer checks the signature, not who the token belongs to.
 */
const FALLBACK_PULL_TOKEN = 'keepstore-ts-pull';

/** The token we present to peers (sent as `Authorization: Bearer`, and signed into the locator). */
export function pullToken(config: KeepstoreConfig): string {
  return config.systemRootToken !== '' ? config.systemRootToken : FALLBACK_PULL_TOKEN;
}

/**
 * `locator` signed with our own key for `token`, valid for blobSigningTTL from `nowMs`. Without
 * a key (signing off everywhere) the locator goes out unsigned, as Arvados does.
 */
export function signForPeer(config: KeepstoreConfig, locator: string, token: string, nowMs = Date.now()): string {
  const ttlSeconds = config.blobSigningTTL / 1000;
  return signLocator(locator, token, Math.floor(nowMs / 1000 + ttlSeconds), ttlSeconds, config.blobSigningKey);
}

const SIGNATURE_HINT_RE = /\+A[^+@\s]*@[0-9a-f]*/g;

/** `text` with every `+A<signature>@<expiry>` hint removed: signatures never reach a log line. */
export function redactSignatures(text: string): string {
  return text.replace(SIGNATURE_HINT_RE, '');
}
