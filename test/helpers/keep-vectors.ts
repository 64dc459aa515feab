/** The Keep protocol's published test vectors (test/fixtures/keep-vectors.json; see the README there). */
import fs from 'node:fs';

export interface KeepVectors {
  signature: {
    hash: string;
    locator: string;
    token: string;
    key: string;
    expiryHex: string;
    ttlSeconds: number;
    expectedSignature: string;
    signedLocator: string;
    /** Signed locators that verify with `token` and `key`. */
    valid: string[];
    /** Locators whose signature is missing or malformed. */
    missing: string[];
    /** Another token: `signedLocator` must not verify with it. */
    invalidWithOtherToken: string;
  };
  locators: { valid: string[]; invalid: string[] };
}

export const keepVectors = JSON.parse(fs.readFileSync(new URL('../fixtures/keep-vectors.json', import.meta.url), 'utf8')) as KeepVectors;
