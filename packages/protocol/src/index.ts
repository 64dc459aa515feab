/** @keepstore/protocol: the pure logic of the Keep protocol (no I/O). */
export { MAX_BLOCK_SIZE, EMPTY_BLOCK_HASH } from './constants.js';
export { ProtocolError, InvalidLocatorError, ListValidationError } from './errors.js';
export {
  type Locator,
  type PermissionHint,
  parseLocator,
  tryParseLocator,
  bareLocator,
  isBlockHash,
  parsePermissionHint,
} from './locator.js';
export {
  type SignatureCheck,
  expiryHex,
  ttlHex,
  computeSignature,
  signLocator,
  checkSignature,
} from './signature.js';
export { type TokenSources, extractToken, sameToken } from './token.js';
export { type RendezvousVolume, rendezvousOrder } from './rendezvous.js';
export { parseDuration } from './duration.js';
export { type PullEntry, MAX_PULL_SERVERS, parsePullList, pullListValidator } from './pull-list.js';
export { type TrashEntry, parseTrashList, trashListValidator } from './trash-list.js';
export { type ListSegment, type ListValidator, MAX_ENTRY_BYTES, ListStreamParser } from './list-stream.js';
export { type IntegerFieldScan, scanIntegerField } from './json-integer-field.js';
