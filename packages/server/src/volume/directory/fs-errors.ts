import { FullError, KeepError, WriteFailedError } from '../../errors.js';

/** Maps a filesystem error raised while writing to the KeepError to report. */
export type WriteErrorMapper = (err: unknown) => KeepError;

/** The errno code (`ENOENT`, `ENOSPC`, ...) of a Node system error, else undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** ENOENT or ENOTDIR: the file (or a directory on its path) is not there. */
export function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Maps a write-side filesystem error to the KeepError the client sees: no space (ENOSPC,
 * EDQUOT) is FullError (507), anything else WriteFailedError (503). The message names the
 * volume, the hash and the errno code only: Node's own message carries the path, and paths
 * must not reach HTTP responses.
 */
export function mapWriteError(volumeUuid: string, hash: string, err: unknown): KeepError {
  if (err instanceof KeepError) return err;
  const code = errnoCode(err) ?? 'unknown error';
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new FullError(`volume ${volumeUuid} is full (${code}) writing ${hash}`);
  }
  return new WriteFailedError(`write failed on volume ${volumeUuid} for ${hash}: ${code}`);
}
