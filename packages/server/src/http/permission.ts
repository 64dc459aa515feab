import type { Request } from 'express';
import { checkSignature, signLocator, type Locator } from '@keepstore/protocol';
import type { KeepstoreConfig } from '../config/config.js';
import { ExpiredSignatureError, InvalidSignatureError, UnauthorizedError } from '../errors.js';
import { requestToken } from './middleware/auth.js';

/** Enforce the permission signature on a read when blob signing is on (docs/api.md "Permission signatures"). */
export function checkReadPermission(config: KeepstoreConfig, req: Request, loc: Locator): void {
  if (!config.blobSigning) return;
  const result = checkSignature(loc, requestToken(req), config.blobSigningKey, config.blobSigningTTL / 1000, Date.now() / 1000);
  switch (result) {
    case 'ok':
      return;
    case 'no-token':
      throw new UnauthorizedError('no token provided in Authorization header');
    case 'expired':
      throw new ExpiredSignatureError();
    case 'invalid':
      throw new InvalidSignatureError();
  }
}

/** The locator a PUT answers with: signed when the client sent a token and a key is set. */
export function responseLocator(config: KeepstoreConfig, req: Request, bare: string): string {
  const token = requestToken(req);
  if (token === undefined || config.blobSigningKey === '') return bare;
  const ttlSec = config.blobSigningTTL / 1000;
  return signLocator(bare, token, Math.floor(Date.now() / 1000 + ttlSec), ttlSec, config.blobSigningKey);
}
