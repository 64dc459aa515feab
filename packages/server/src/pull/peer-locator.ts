import { randomBytes } from 'node:crypto';
import { signLocator } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';

/** What every pull token starts with, so a keepstore serving a peer's pull can rank it below its clients. */
const PULL_TOKEN_PREFIX = 'keepstore-pull-';

/**
 * The token pulls present to peers: random, made when this process starts, known to no one
 * else, so it grants nothing, here or anywhere. Never the system root or management token:
 * those never leave the server. Peers of one cluster share the signing key, and a signature
 * needs only key + token, so the peer checks the signature, not whose token it is. Its prefix
 * says it is a pull (anyone may send it: it only lowers the request's rank).
 */
const PULL_TOKEN = PULL_TOKEN_PREFIX + randomBytes(24).toString('hex');

/** The token we present to peers (sent as `Authorization: Bearer`, and signed into the locator). */
export function pullToken(): string {
  return PULL_TOKEN;
}

/** Is `token` a keepstore's pull token (ours or a peer's)? */
export function isPullToken(token: string): boolean {
  return token.startsWith(PULL_TOKEN_PREFIX);
}

/**
 * How long the signature on a pull's GET stays valid. It is made just before each server is
 * asked, so it only has to outlast the request's way to the peer and a clock skew between the
 * two servers; a URL or token seen on the way is useless after it.
 */
export const PULL_SIGNATURE_LIFETIME_SECONDS = 300;

/**
 * `locator` signed with our own key for `token`, valid for PULL_SIGNATURE_LIFETIME_SECONDS
 * from `nowMs`. blobSigningTTL still goes into the signed text, as the peer verifies with it.
 * Without a key (signing off everywhere) the locator goes out unsigned, as Arvados does.
 */
export function signForPeer(config: KeepstoreConfig, locator: string, token: string, nowMs = Date.now()): string {
  const expiry = Math.floor(nowMs / 1000) + PULL_SIGNATURE_LIFETIME_SECONDS;
  return signLocator(locator, token, expiry, config.blobSigningTTL / 1000, config.blobSigningKey);
}
