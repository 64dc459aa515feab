import { BadRequestError, FullError, HashMismatchError, KeepError, TooLargeError } from '../errors.js';
import type { StoreResult } from '../volume/store-block.js';
import type { VolumeSet } from '../volume/volume-set.js';
import { describeNetworkError, fetchFromPeer, PeerFetchError, type PeerFetchOptions } from './peer-fetch.js';

/** What to fetch and where it may land. */
export interface AttemptSpec {
  hash: string;
  size: number;
  /** The signed locator to GET (never logged). */
  signedLocator: string;
  /** Write only to this volume, or undefined for the first writable volume with room. */
  only: string | undefined;
  /** No copy was found on any volume it may land on (see touchIfStored): store() need not look again. */
  noStoredCopy: boolean;
}

/**
 * The outcome of pulling from one server:
 * - `stored`: the block is on `result.volume` (written, or an identical copy touched);
 * - `peer`: this server failed us (unreachable, timeout, non-200, wrong or short body): try the next;
 * - `full`: the target volume has no room (nothing useful can come from another server);
 * - `write`: our volume failed the write: other servers would not help either.
 */
export type AttemptResult =
  | { kind: 'stored'; result: StoreResult }
  | { kind: 'peer'; error: string }
  | { kind: 'full'; error: string }
  | { kind: 'write'; error: string };

/** Store errors that mean "the peer sent something wrong", as opposed to our disk failing. */
function isPeerDataError(err: KeepError): boolean {
  return err instanceof HashMismatchError || err instanceof BadRequestError || err instanceof TooLargeError;
}

function describePeerDataError(err: KeepError): string {
  if (err instanceof HashMismatchError) return 'wrong content: MD5 does not match the locator';
  return err.message;
}

/**
 * GET the block from `server` and stream it into `volumes.store` (MD5 and size verified on the
 * fly, temp file removed on any failure, so a wrong or partial block is never stored).
 */
export async function pullFrom(volumes: VolumeSet, server: string, spec: AttemptSpec, fetchOpts: PeerFetchOptions): Promise<AttemptResult> {
  let body;
  try {
    body = await fetchFromPeer(server, spec.signedLocator, fetchOpts);
  } catch (err) {
    if (err instanceof PeerFetchError) return { kind: 'peer', error: err.message };
    throw err;
  }
  if (body.contentLength !== null && body.contentLength !== spec.size) {
    body.abort();
    return { kind: 'peer', error: `size mismatch: Content-Length ${body.contentLength}, expected ${spec.size}` };
  }
  try {
    const result = await volumes.store(spec.hash, body.stream, {
      expectedSize: spec.size,
      only: spec.only,
      signal: body.signal,
      noStoredCopy: spec.noStoredCopy,
    });
    return { kind: 'stored', result };
  } catch (err) {
    const stalled = body.abortReason();
    body.abort(); // store() may fail before reading anything (no target): free the connection
    if (stalled !== null) return { kind: 'peer', error: stalled };
    if (!(err instanceof KeepError)) return { kind: 'peer', error: `transfer failed: ${describeNetworkError(err)}` };
    if (isPeerDataError(err)) return { kind: 'peer', error: describePeerDataError(err) };
    if (err instanceof FullError) return { kind: 'full', error: err.message };
    return { kind: 'write', error: err.message };
  }
}
